/** First-run setup's schemas (setup.routes.ts). */
import { MAX_PASSWORD_LENGTH } from '../../domain/account/password-rules.ts';

export const setupBodySchema = {
  type: 'object',
  required: ['token', 'instance', 'admin'],
  additionalProperties: false,
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 200 },
    instance: {
      type: 'object',
      required: ['slug', 'name', 'plan'],
      additionalProperties: false,
      properties: {
        slug: { type: 'string', maxLength: 63 },
        name: { type: 'string', maxLength: 200 },
        plan: { type: 'string', maxLength: 20 },
      },
    },
    admin: {
      type: 'object',
      required: ['email', 'name', 'password'],
      additionalProperties: false,
      properties: {
        email: { type: 'string', maxLength: 254 },
        name: { type: 'string', maxLength: 200 },
        password: { type: 'string', maxLength: MAX_PASSWORD_LENGTH * 4 },
      },
    },
  },
} as const;

export const setupStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['open'],
  properties: { open: { type: 'boolean' } },
} as const;
