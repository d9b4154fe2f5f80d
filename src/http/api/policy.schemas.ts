const nullableInteger = { type: ['integer', 'null'] } as const;

/** Every key of a schema's `properties`, typed, so `required` names them all. */
const allOf = <T extends object>(properties: T) => Object.keys(properties) as Array<keyof T & string>;

/** The fields of each part, shared by the answer (all required) and the change (any of them). */
const twoFactorProperties = {
  autoEnable: { type: 'boolean' },
  enforceSetup: { type: 'boolean' },
  enforceFrom: { type: ['string', 'null'], format: 'date-time' },
  maxPostpones: nullableInteger,
} as const;
const passwordProperties = {
  minLength: { type: 'integer' },
  maxAgeDays: nullableInteger,
  warnDays: nullableInteger,
  historyCount: { type: 'integer' },
} as const;

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['twoFactor', 'password'],
  properties: {
    twoFactor: { type: 'object', additionalProperties: false, required: allOf(twoFactorProperties), properties: twoFactorProperties },
    password: { type: 'object', additionalProperties: false, required: allOf(passwordProperties), properties: passwordProperties },
  },
} as const;

/** PUT takes any part; parts left out keep their values (SPEC §3). */
export const policyPatchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    twoFactor: { type: 'object', additionalProperties: false, properties: twoFactorProperties },
    password: { type: 'object', additionalProperties: false, properties: passwordProperties },
  },
} as const;

export const changePasswordBodySchema = {
  type: 'object',
  required: ['currentPassword', 'newPassword'],
  additionalProperties: false,
  properties: {
    currentPassword: { type: 'string', minLength: 1, maxLength: 1024 },
    newPassword: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

export const forgotBodySchema = {
  type: 'object',
  required: ['instance', 'email'],
  additionalProperties: false,
  properties: { instance: { type: 'string', minLength: 1, maxLength: 63 }, email: { type: 'string', minLength: 1, maxLength: 254 } },
} as const;

export const linkBodySchema = {
  type: 'object',
  required: ['token', 'password'],
  additionalProperties: false,
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 200 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    code: { type: 'string', minLength: 1, maxLength: 16 },
    // Issue 10 item 3: the administrator's one-time recovery code (16 characters, dashes and spaces allowed).
    recoveryCode: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

export const linkInfoBodySchema = {
  type: 'object',
  required: ['purpose', 'token'],
  additionalProperties: false,
  properties: {
    purpose: { type: 'string', enum: ['invitation', 'reset'] },
    token: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export const linkInfoSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['passwordMinLength'],
  properties: { passwordMinLength: { type: 'integer' }, recoveryCodeRequired: { type: 'boolean' } },
} as const;

/** POST /auth/link-status (issue 13): the link page's first call; names the account and instance. */
export const linkStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'email', 'instance', 'loginUrl'],
  properties: {
    state: { type: 'string', enum: ['valid', 'used', 'expired'] },
    email: { type: 'string' },
    instance: {
      type: 'object',
      additionalProperties: false,
      required: ['slug', 'name'],
      properties: { slug: { type: 'string' }, name: { type: 'string' } },
    },
    loginUrl: { type: 'string' },
    passwordMinLength: { type: 'integer' },
    recoveryCodeRequired: { type: 'boolean' },
  },
} as const;
