/** The support console's schemas (support.routes.ts). */
import { userPageSchema } from './users.schemas.ts';

export const supportLoginBodySchema = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

/** The operator logged in to the console; `stepUpUntil` null when a reset needs a new code. */
export const operatorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'email', 'name', 'stepUpUntil'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    stepUpUntil: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const instanceSummarySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['slug', 'name', 'plan'],
  properties: { slug: { type: 'string' }, name: { type: 'string' }, plan: { type: 'string' } },
} as const;

export const instancesQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { q: { type: 'string', maxLength: 100 } },
} as const;

export const usersQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 254 },
    limit: { type: 'string', pattern: '^[0-9]{1,3}$' },
    cursor: { type: 'string', maxLength: 2000 },
  },
} as const;

export const usersSchema = {
  ...userPageSchema,
  required: [...userPageSchema.required, 'instance'],
  properties: { ...userPageSchema.properties, instance: instanceSummarySchema },
} as const;

export const instancesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['instances'],
  properties: { instances: { type: 'array', items: instanceSummarySchema } },
} as const;

/** The body's shape is checked by the use-case, so each missing part gets its own field name. */
export const resetBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    verification: {
      type: 'object',
      additionalProperties: false,
      properties: { method: { type: 'string' }, reference: { type: 'string' }, notes: { type: ['string', 'null'] } },
    },
  },
} as const;

/**
 * PUT /support/instances/{slug}/plan (issue 13). The plan is checked by the use-case (parsePlan),
 * after the operator guard: a request without a console session is 401 whatever its body.
 */
export const planBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { plan: { type: 'string', description: 'professional, business or enterprise' } },
} as const;

export const planChangeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['instance', 'changed'],
  properties: {
    instance: instanceSummarySchema,
    changed: {
      type: 'object',
      description: 'What the change turned off or reset, before and after (empty when the plan was already this one).',
      properties: { before: { type: 'object', additionalProperties: true }, after: { type: 'object', additionalProperties: true } },
    },
  },
} as const;
