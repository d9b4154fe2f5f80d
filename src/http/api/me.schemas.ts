import { MAX_PASSWORD_LENGTH } from '../../domain/account/password-rules.ts';

/** The response schema doubles as an allow-list: fields not named here never leave the server. */
export const twoFactorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['enabled', 'associated', 'status', 'enforced'],
  properties: {
    enabled: { type: 'boolean' },
    associated: { type: 'boolean' },
    status: { type: 'string', enum: ['active', 'pending', 'off'] },
    enforced: { type: 'boolean' },
  },
} as const;

export const meSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'email',
    'name',
    'role',
    'instance',
    'twoFactor',
    'passwordExpiresAt',
    'passwordWarningFrom',
    'secondFactor',
    'passwordMinLength',
  ],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: ['admin', 'member'] },
    instance: {
      type: 'object',
      additionalProperties: false,
      required: ['slug', 'name', 'plan'],
      properties: { slug: { type: 'string' }, name: { type: 'string' }, plan: { type: 'string' } },
    },
    twoFactor: twoFactorSchema,
    passwordExpiresAt: { type: ['string', 'null'] },
    /** SPEC rule 10: from this instant the UI warns of the expiry (warnDays before it). */
    passwordWarningFrom: { type: ['string', 'null'] },
    secondFactor: { type: ['string', 'null'], enum: ['totp', 'backup_code', null] },
    passwordMinLength: { type: 'integer' },
  },
} as const;

export const twoFactorBodySchema = {
  type: 'object',
  required: ['enabled'],
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    code: { type: 'string', minLength: 1, maxLength: 16 },
    // SPEC §3 keeps the shape; turning 2FA off with it is refused with `totp_required` (rule 4).
    backupCode: { type: 'string', minLength: 1, maxLength: 40 },
    // Issue 10 item 5: turning off needs the current password with the code, in this request.
    currentPassword: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4 },
  },
  not: { required: ['code', 'backupCode'] },
} as const;

export const newBackupCodeBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { code: { type: 'string', minLength: 1, maxLength: 16 } },
} as const;

/** A browser as My Profile lists it (known locations, sessions): where and when, never the address. */
export const placeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'device', 'network', 'createdAt', 'lastUsedAt', 'expiresAt', 'current'],
  properties: {
    id: { type: 'string' },
    device: { type: 'string' },
    network: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    current: { type: 'boolean' },
  },
} as const;

export const knownLocationsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['locations'],
  properties: { locations: { type: 'array', items: placeSchema } },
} as const;
