import { placeSchema } from './me.schemas.ts';

/** My Profile → Sessions. The response schema doubles as an allow-list: no address, id or hash leaves by accident. */
export const sessionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sessions', 'more'],
  properties: {
    sessions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [...placeSchema.required, 'secondFactorVerified'],
        properties: { ...placeSchema.properties, secondFactorVerified: { type: 'boolean' } },
      },
    },
    /** More sessions exist than are listed; "End all other sessions" ends them too. */
    more: { type: 'boolean' },
  },
} as const;

/** How many sessions an "end all" ended. */
export const endedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ended'],
  properties: { ended: { type: 'integer' } },
} as const;
