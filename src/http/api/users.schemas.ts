import { twoFactorSchema } from './me.schemas.ts';

/** A user as the Users list (and support's list of an instance) shows them. */
export const listedUserSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'email', 'name', 'role', 'status', 'invited', 'twoFactor'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: ['admin', 'member'] },
    status: { type: 'string', enum: ['active', 'disabled'] },
    /** Issue 13: no password chosen yet (an invitation not accepted); the list offers to resend it. */
    invited: { type: 'boolean' },
    twoFactor: twoFactorSchema,
  },
} as const;

/** Users by 2FA status, for the whole instance whatever the search and filter. */
export const statusCountsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['active', 'pending', 'off'],
  properties: { active: { type: 'integer' }, pending: { type: 'integer' }, off: { type: 'integer' } },
} as const;

/** GET /admin/users (SPEC §3): one page; `nextCursor` is null on the last one. */
export const userPageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['users', 'nextCursor', 'counts'],
  properties: {
    users: { type: 'array', items: listedUserSchema },
    nextCursor: { type: ['string', 'null'] },
    counts: statusCountsSchema,
    /**
     * Issue 13: how many match the search and filter, counted up to 10,000 (`matchesCapped`: more).
     * Always on a first page; absent on a later page (`cursor`) of a search, whose first page counted.
     */
    matches: { type: 'integer' },
    matchesCapped: { type: 'boolean' },
  },
} as const;

export const emailedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['emailed'],
  properties: { emailed: { type: 'integer' } },
} as const;

/** One point of the adoption chart per day (YYYY-MM-DD): users by 2FA status. */
export const adoptionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['days'],
  properties: {
    days: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['day', 'active', 'pending', 'off'],
        properties: { day: { type: 'string' }, active: { type: 'integer' }, pending: { type: 'integer' }, off: { type: 'integer' } },
      },
    },
  },
} as const;
