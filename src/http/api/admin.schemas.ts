/** The admin context's schemas (admin.routes.ts); users' are in users.schemas.ts, the policy's in policy.schemas.ts. */
export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['knownLocations'],
  properties: {
    knownLocations: {
      type: 'object',
      additionalProperties: false,
      required: ['trustDays', 'requireSameNetwork'],
      properties: { trustDays: { type: 'integer' }, requireSameNetwork: { type: 'boolean' } },
    },
  },
} as const;

export const settingsBodySchema = {
  type: 'object',
  required: ['knownLocations'],
  additionalProperties: false,
  properties: {
    knownLocations: {
      type: 'object',
      additionalProperties: false,
      properties: { trustDays: { type: 'integer', minimum: 0, maximum: 30 }, requireSameNetwork: { type: 'boolean' } },
    },
  },
} as const;

export const mailQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { type: 'string', enum: ['pending', 'sending', 'sent', 'dead'] } },
} as const;

export const mailIdParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9]{1,15}$' } },
} as const;

export const mailListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['messages'],
  properties: {
    messages: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'to', 'subject', 'status', 'attempts', 'lastError', 'createdAt', 'sentAt'],
        properties: {
          id: { type: 'integer' },
          to: { type: 'string' },
          subject: { type: 'string' },
          status: { type: 'string', enum: ['pending', 'sending', 'sent', 'dead'] },
          attempts: { type: 'integer' },
          lastError: { type: ['string', 'null'] },
          createdAt: { type: 'string', format: 'date-time' },
          sentAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
} as const;

export const usersQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 254 },
    twoFactor: { type: 'string', enum: ['active', 'pending', 'off'] },
    limit: { type: 'string', pattern: '^[0-9]{1,3}$' },
    cursor: { type: 'string', maxLength: 2000 },
    sort: { type: 'string', enum: ['email', 'name'] },
  },
} as const;

export const inviteBodySchema = {
  type: 'object',
  required: ['email', 'name', 'role'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 1, maxLength: 254 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    role: { type: 'string', enum: ['admin', 'member'] },
  },
} as const;

export const updateUserBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    role: { type: 'string', enum: ['admin', 'member'] },
    status: { type: 'string', enum: ['active', 'disabled'] },
    email: { type: 'string', minLength: 1, maxLength: 254 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export const emptyBodySchema = { type: ['object', 'null'], additionalProperties: false, properties: {} } as const;

/** The audit export: CSV (text/csv) streamed as it is read, so no serializer touches it. */
export const csvSchema = { description: 'CSV, one line per event' } as const;

export const recoveryCodeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'expiresAt'],
  properties: { code: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
} as const;
