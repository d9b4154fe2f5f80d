import { MAX_PASSWORD_LENGTH } from '../../domain/account/password-rules.ts';

export const loginStepSchema = {
  type: 'object',
  required: ['next'],
  properties: {
    next: { type: 'string', enum: ['done', 'verify', 'setup', 'change_password'] },
    methods: { type: 'array', items: { type: 'string' } },
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

export interface LoginBody {
  instance: string;
  email: string;
  password: string;
}

/** One code per request (RL-03): a short string, checked for six digits by the domain. */
export const codeBodySchema = {
  type: 'object',
  required: ['code'],
  additionalProperties: false,
  properties: { code: { type: 'string', minLength: 1, maxLength: 16 } },
} as const;

export interface CodeBody {
  code: string;
}

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

export type SecondFactorBody = { code: string } | { backupCode: string };

export const setupSchema = {
  type: 'object',
  required: ['secret', 'otpauthUri', 'qrSvg'],
  properties: {
    secret: { type: 'string' },
    secretGrouped: { type: 'string' },
    otpauthUri: { type: 'string' },
    qrSvg: { type: 'string' },
  },
} as const;
