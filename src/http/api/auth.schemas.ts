import { MAX_PASSWORD_LENGTH } from '../../domain/account/password-rules.ts';

export const loginStepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['next'],
  properties: {
    next: { type: 'string', enum: ['done', 'verify', 'setup', 'change_password'] },
    methods: { type: 'array', items: { type: 'string' } },
    issuer: { type: 'string', description: 'At `verify`: the entry of the authenticator app to read, e.g. "Globex (keyward)".' },
    canPostpone: { type: 'boolean' },
    postponesLeft: { type: 'integer' },
    enforceFrom: { type: 'string' },
  },
} as const;

/** Strings only: arrays or objects where a string belongs are refused, not coerced (RL-03). */
export const loginBodySchema = {
  type: 'object',
  required: ['instance', 'email', 'password'],
  additionalProperties: false,
  properties: {
    instance: { type: 'string', minLength: 1, maxLength: 63 },
    email: { type: 'string', minLength: 1, maxLength: 254 },
    // Why a bound: argon2id cost grows with input; 4x the longest allowed password is plenty.
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4 },
  },
} as const;

/** One code per request (RL-03): a short string, checked for six digits by the domain. */
export const codeBodySchema = {
  type: 'object',
  required: ['code'],
  additionalProperties: false,
  properties: { code: { type: 'string', minLength: 1, maxLength: 16 } },
} as const;

/** A second factor: exactly one of a TOTP code or the backup code (SPEC §3). */
export const secondFactorBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 16 },
    backupCode: { type: 'string', minLength: 1, maxLength: 40 },
  },
  oneOf: [{ required: ['code'] }, { required: ['backupCode'] }],
} as const;

/**
 * POST /auth/setup takes no body at a login's `setup` stage (SPEC §3); from a full session it
 * takes the proof of issue 10 item 5: the current password, and a current code to replace an app.
 * A backup code is read only to be refused with `totp_required`.
 */
export const setupBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    currentPassword: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4 },
    code: { type: 'string', minLength: 1, maxLength: 16 },
    backupCode: { type: 'string', minLength: 1, maxLength: 40 },
  },
} as const;

export const setupSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['secret', 'otpauthUri', 'qrSvg'],
  properties: {
    secret: { type: 'string' },
    secretGrouped: { type: 'string' },
    otpauthUri: { type: 'string' },
    issuer: { type: 'string', description: 'What the authenticator app shows above the account, e.g. "Globex (keyward)".' },
    qrSvg: { type: 'string' },
  },
} as const;
