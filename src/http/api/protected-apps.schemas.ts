/** The schemas of an instance's protected applications (SPEC §7, protected-apps.routes.ts). */
import { REQUIREMENTS } from '../../domain/forward-auth/protected-app.ts';

const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix', 'require'],
  properties: { prefix: { type: 'string' }, require: { type: 'string', enum: REQUIREMENTS } },
} as const;

const appProperties = {
  id: { type: 'string' },
  name: { type: 'string' },
  hosts: { type: 'array', items: { type: 'string' } },
  rules: { type: 'array', items: ruleSchema },
  clientId: { type: 'string' },
  cookieDomain: {
    type: ['string', 'null'],
    description:
      'null: host-only forward cookies (the default). A parent domain of every host: one sign-in for every app of the instance with it (docs/forward-auth.md, its risks).',
  },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
} as const;

export const protectedAppSchema = {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(appProperties) as Array<keyof typeof appProperties>,
  properties: appProperties,
} as const;

export const protectedAppListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apps'],
  properties: { apps: { type: 'array', items: protectedAppSchema } },
} as const;

/** Shapes only: the rules (host syntax, prefixes, how many) are the domain's, with its field names. */
const changeable = {
  name: { type: 'string', maxLength: 1000 },
  hosts: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 1000 } },
  cookieDomain: { type: ['string', 'null'], maxLength: 1000 },
  rules: {
    type: 'array',
    maxItems: 200,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['prefix', 'require'],
      properties: { prefix: { type: 'string', maxLength: 1000 }, require: { type: 'string', enum: REQUIREMENTS } },
    },
  },
} as const;

export const createProtectedAppBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'hosts'],
  properties: changeable,
} as const;

export const patchProtectedAppBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: changeable,
} as const;
