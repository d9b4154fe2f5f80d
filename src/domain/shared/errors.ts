/**
 * Stable error codes: the public contract of SPEC §3. Messages are for people and may change;
 * clients and tests rely on codes only.
 */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_credentials',
  'unauthenticated',
  'forbidden',
  'plan_required',
  'cannot_reset_self',
  'setup_enforced',
  'step_up_required',
  'csrf',
  'not_found',
  'conflict',
  'invalid_policy',
  'weak_password',
  'password_reused',
  'locked',
  'rate_limited',
  'unsupported_media_type',
  'payload_too_large',
  // Issue 10 items 4 and 5 (docs/two-factor.md): a factor change needs the current password and
  // a current code in the request; a backup code can log in but never change or remove a factor.
  'reauthentication_required',
  'totp_required',
  'admin_recovery_required',
  'server_busy',
  // Issue 10 item 3: an administrator's recovery code for a user who can reset by email, or log in.
  'recovery_not_needed',
  // Issue 12: a machine client's access token without the scope a route needs, or at a route no
  // scope opens (RFC 6750 §3.1 `insufficient_scope`, 403).
  'insufficient_scope',
  // Issue 13: a disabled account's correct password (told only after the password is verified,
  // so nothing is enumerated), and an email already used by another user of the instance.
  'account_disabled',
  'email_taken',
  'cannot_delete_self',
  // Issue 14 (forward auth, SPEC §7): a host already another protected application's; a return
  // URL outside the application's hosts (open redirect guard); a proxy's question from an
  // address TRUST_PROXY does not name; a host no protected application has.
  'host_taken',
  'invalid_return_url',
  'proxy_not_trusted',
  'unknown_host',
  // Issue 15: the database cannot be reached (PostgreSQL restarting or down); 503 with
  // Retry-After, and the same request may succeed when sent again.
  'service_unavailable',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Why a request was refused, finer than its code, for clients that explain it: `weak_password`'s
 * `context_words` (mostly the account's own words) or `common` (on the blocklist); `locked`'s
 * factor (`password`, `code`, `step_up`), so a message can fit the action.
 */
/** Why, or (`ask_*`, with `account_disabled`) whom to ask: the vendor's support or the instance's administrators. */
export type ErrorReason =
  'context_words' | 'common' | 'too_short' | 'too_long' | 'password' | 'code' | 'step_up' | 'ask_support' | 'ask_administrators';

/** A refused request: the HTTP layer maps `code` to a status; `field` names the bad input. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { field?: string; retryAfterSeconds?: number; reason?: ErrorReason } = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** One wording for a wrong code everywhere (issue 13): login, setup, step-up, support console. */
export const WRONG_CODE = 'That code is not valid. Enter the code your authenticator app shows now.';
export const WRONG_BACKUP_CODE = 'That backup code is not valid. Enter the newest one keyward emailed you.';

export function invalidInput(field: string, message: string): DomainError {
  return new DomainError('invalid_request', message, { field });
}
