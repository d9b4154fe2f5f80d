/** My Profile → Sessions. The response schema doubles as an allow-list: no address, id or hash leaves by accident. */
export const sessionsSchema = {
  type: 'object',
  required: ['sessions', 'more'],
  properties: {
    sessions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'device', 'network', 'createdAt', 'lastUsedAt', 'expiresAt', 'current', 'secondFactorVerified'],
        properties: {
          id: { type: 'string' },
          device: { type: 'string' },
          network: { type: 'string' },
          createdAt: { type: 'string', format: 'date-time' },
          lastUsedAt: { type: 'string', format: 'date-time' },
          expiresAt: { type: 'string', format: 'date-time' },
          current: { type: 'boolean' },
          secondFactorVerified: { type: 'boolean' },
        },
      },
    },
    /** More sessions exist than are listed; "End all other sessions" ends them too. */
    more: { type: 'boolean' },
  },
} as const;

/** How many sessions an "end all" ended. */
export const endedSchema = {
  type: 'object',
  required: ['ended'],
  properties: { ended: { type: 'integer' } },
} as const;
