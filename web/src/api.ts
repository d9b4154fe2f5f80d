/**
 * The only place that talks to the server: JSON over /api/v1, the session cookie sent by the
 * browser. Every failure becomes an ApiError carrying the server's stable `code`; the UI branches
 * on the code and shows the message.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** From the Retry-After header of 423 and 429 answers. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type LoginStep =
  | { next: 'done' }
  | { next: 'verify'; methods: string[] }
  | { next: 'setup'; canPostpone: boolean; postponesLeft?: number; enforceFrom?: string }
  | { next: 'change_password' };

export type Role = 'admin' | 'member';
export type TwoFactorStatus = 'active' | 'pending' | 'off';

export interface TwoFactor {
  enabled: boolean;
  associated: boolean;
  status: TwoFactorStatus;
  enforced: boolean;
}

export interface Me {
  id: string;
  email: string;
  name: string;
  role: Role;
  instance: { slug: string; name: string; plan: string };
  twoFactor: TwoFactor;
  passwordExpiresAt: string | null;
  /** SPEC rule 10: from this instant every page warns of the expiry (the policy's warnDays before it). */
  passwordWarningFrom: string | null;
  /** The second factor this session verified; after a backup code, factor changes are refused. */
  secondFactor?: 'totp' | 'backup_code' | null;
  /** The effective minimum length of this user's next password: 15 when the password is the only factor. */
  passwordMinLength: number;
}

export type UserStatus = 'active' | 'disabled';

/** A row of the Users list (Settings → Users). */
export interface ListedUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  twoFactor: TwoFactor;
}

export type UserSort = 'email' | 'name';

export interface UserQuery {
  q?: string;
  twoFactor?: TwoFactorStatus;
  sort?: UserSort;
  limit?: number;
  cursor?: string;
}

export interface UserPage {
  users: ListedUser[];
  /** null on the last page. */
  nextCursor: string | null;
  /** For the whole instance, whatever the search and filter. */
  counts: Record<TwoFactorStatus, number>;
}

/** The instance's "Password policy" (SPEC §1). Enterprise only: the 2FA part, and maxAgeDays. */
export interface PasswordPolicy {
  twoFactor: {
    autoEnable: boolean;
    enforceSetup: boolean;
    /** ISO instant; null: enforcement (if on) applies at once. */
    enforceFrom: string | null;
    /** null: no limit. */
    maxPostpones: number | null;
  };
  password: {
    /** 12–128. */
    minLength: number;
    /** null: passwords never expire (the default); else 30–3650. */
    maxAgeDays: number | null;
    /** null: no warning; else 1–90 and fewer than maxAgeDays. */
    warnDays: number | null;
    /** 0–24 previous passwords refused. */
    historyCount: number;
  };
}

export interface PolicyPatch {
  twoFactor?: Partial<PasswordPolicy['twoFactor']>;
  password?: Partial<PasswordPolicy['password']>;
}

/** One point of the adoption chart: users by 2FA status on that day (YYYY-MM-DD). */
export interface AdoptionDay {
  day: string;
  active: number;
  pending: number;
  off: number;
}

export interface TotpSetup {
  /** Base32, as authenticator apps take it. */
  secret: string;
  /** The same key in groups of four ("ABCD EFGH …"). */
  secretGrouped?: string;
  otpauthUri: string;
  /** An <svg> document, shown only as an image. */
  qrSvg: string;
}

export interface KnownLocation {
  id: string;
  device: string;
  network: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  /** The location this browser holds. */
  current: boolean;
}

export interface KnownLocationSettings {
  /** 0–30; 0 asks for a code at every login. */
  trustDays: number;
  requireSameNetwork: boolean;
}

/** What proves the second factor: a code from the app, or the backup code that was emailed. */
export type SecondFactor = { code: string } | { backupCode: string };

/** Where a mail is in the outbox: `dead` = given up on after days of failed attempts. */
export type MailStatus = 'pending' | 'sending' | 'sent' | 'dead';

/** A queued or sent mail as admins see it: the envelope only (bodies may hold codes). */
export interface OutboxEntry {
  id: number;
  to: string;
  subject: string;
  status: MailStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface MailboxMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  sentAt: string;
}

export interface SetupInput {
  token: string;
  instance: { slug: string; name: string; plan: string };
  admin: { email: string; name: string; password: string };
}

/** Who did something recorded in the audit log: a user, support staff, the CLI or keyward itself. */
export type AuditActorType = 'user' | 'operator' | 'cli' | 'system';

/** An audit event (docs/recovery-and-audit.md); `details` depend on the action. */
export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { type: AuditActorType; id: string | null; label: string | null };
  target: { id: string; label: string | null } | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditQuery {
  action?: string;
  userId?: string;
  limit?: number;
  cursor?: string;
}

/** How support staff confirmed who an administrator is before resetting their 2FA (SPEC rule 9). */
export type VerificationMethod = 'video_call' | 'phone_callback' | 'id_document' | 'admin_confirmation' | 'other';

export interface Verification {
  method: VerificationMethod;
  reference: string;
  notes?: string;
}

/** The support operator logged in to /support. */
export interface Operator {
  id: string;
  email: string;
  name: string;
  /** ISO instant until which a reset needs no new code; null when a code is needed. */
  stepUpUntil: string | null;
}

export interface SupportInstance {
  slug: string;
  name: string;
  plan: string;
}

/** A user of an instance as support sees it. */
export interface SupportUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  twoFactor: { enabled: boolean; associated: boolean; status: TwoFactorStatus };
}

export interface SupportUserPage {
  instance: SupportInstance;
  users: SupportUser[];
  nextCursor: string | null;
}

const BASE = '/api/v1';

/** `?q=…&limit=…` from the defined values only; empty when there are none. */
export function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  // Why no content-type without a body: the server parses JSON only and refuses an empty JSON body.
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, init);
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) throw toApiError(response, payload);
  return payload as T;
}

function toApiError(response: Response, payload: unknown): ApiError {
  const { status } = response;
  const error = (payload as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : 'http_error';
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${status}.`;
  const field = typeof error?.field === 'string' ? error.field : undefined;
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  return new ApiError(status, code, message, field, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}

export const api = {
  me: () => request<Me>('GET', '/me'),
  login: (input: { instance: string; email: string; password: string }) => request<LoginStep>('POST', '/auth/login', input),
  verify: (input: SecondFactor) => request<LoginStep>('POST', '/auth/verify', input),
  /** At login's `setup` step without a body; from a full session with the current password (and code, to replace an app). */
  startTotpSetup: (proof?: { currentPassword: string; code?: string }) => request<TotpSetup>('POST', '/auth/setup', proof),
  confirmTotpSetup: (code: string) => request<LoginStep>('POST', '/auth/setup/confirm', { code }),
  postponeSetup: () => request<LoginStep>('POST', '/auth/postpone'),
  stepUp: (factor: SecondFactor) => request<void>('POST', '/auth/step-up', factor),
  /** The forced change at login (step change_password), or a voluntary one from a full session. */
  changePassword: (input: { currentPassword: string; newPassword: string }) => request<LoginStep>('POST', '/auth/password', input),
  /** Sets the first password with the invitation link's token; never logs in (answers 204). */
  acceptInvitation: (input: { token: string; password: string }) => request<void>('POST', '/auth/invitation', input),
  /** Always 204, whether or not the account exists. */
  forgotPassword: (input: { instance: string; email: string }) => request<void>('POST', '/auth/forgot', input),
  /** A new password with the reset link's token; with 2FA active, a current code too (400, field code, without one). */
  resetPassword: (input: { token: string; password: string; code?: string; recoveryCode?: string }) => request<void>('POST', '/auth/reset', input),
  passwordLink: (input: { purpose: 'invitation' | 'reset'; token: string }) =>
    request<{ passwordMinLength: number; recoveryCodeRequired?: boolean }>('POST', '/auth/password-link', input),
  logout: () => request<void>('POST', '/auth/logout'),
  setTwoFactor: (input: { enabled: true } | ({ enabled: false } & Partial<{ currentPassword: string; code: string }>)) => request<TwoFactor>('PUT', '/me/two-factor', input),
  newBackupCode: () => request<void>('POST', '/me/backup-code'),
  knownLocations: () => request<{ locations: KnownLocation[] }>('GET', '/me/known-locations'),
  revokeKnownLocation: (id: string) => request<void>('DELETE', `/me/known-locations/${encodeURIComponent(id)}`),
  revokeAllKnownLocations: () => request<void>('DELETE', '/me/known-locations'),
  instanceSettings: () => request<{ knownLocations: KnownLocationSettings }>('GET', '/admin/instance-settings'),
  saveInstanceSettings: (knownLocations: Partial<KnownLocationSettings>) =>
    request<{ knownLocations: KnownLocationSettings }>('PUT', '/admin/instance-settings', { knownLocations }),
  mail: (status?: MailStatus) => request<{ messages: OutboxEntry[] }>('GET', `/admin/mail${status ? `?status=${status}` : ''}`),
  retryMail: (id: number) => request<void>('POST', `/admin/mail/${encodeURIComponent(String(id))}/retry`),
  users: (query: UserQuery) => request<UserPage>('GET', `/admin/users${queryString(query)}`),
  inviteUser: (input: { email: string; name: string; role: Role }) => request<ListedUser>('POST', '/admin/users', input),
  updateUser: (id: string, change: { role?: Role; status?: UserStatus }) => request<ListedUser>('PATCH', `/admin/users/${encodeURIComponent(id)}`, change),
  askToEnableTwoFactor: () => request<{ emailed: number }>('POST', '/admin/two-factor/requests'),
  twoFactorAdoption: () => request<{ days: AdoptionDay[] }>('GET', '/admin/two-factor/adoption'),
  /** Removes the user's app, backup code, trusted browsers and sessions; they set an app up again at next login. */
  resetTwoFactor: (id: string, reason?: string) => request<void>('POST', `/admin/users/${encodeURIComponent(id)}/two-factor/reset`, reason ? { reason } : {}),
  audit: (query: AuditQuery) => request<{ events: AuditEvent[]; nextCursor: string | null }>('GET', `/admin/audit${queryString(query)}`),
  /** The CSV export's address (a GET the browser downloads with its cookies). */
  auditExportUrl: (query: Omit<AuditQuery, 'limit' | 'cursor'>) => `${BASE}/admin/audit/export${queryString(query)}`,
  myActivity: () => request<{ events: AuditEvent[] }>('GET', '/me/activity'),
  passwordPolicy: () => request<PasswordPolicy>('GET', '/admin/password-policy'),
  savePasswordPolicy: (patch: PolicyPatch) => request<PasswordPolicy>('PUT', '/admin/password-policy', patch),
  setupStatus: () => request<{ open: boolean }>('GET', '/setup'),
  setup: (input: SetupInput) => request<LoginStep>('POST', '/setup', input),
  mailbox: () => request<{ messages: MailboxMessage[] }>('GET', '/dev/mailbox'),
  sessions: () => request<{ sessions: ActiveSession[]; more: boolean }>('GET', '/me/sessions'),
  /** Ends one of your sessions; ending this browser's is a logout. */
  endSession: (id: string) => request<void>('DELETE', `/me/sessions/${encodeURIComponent(id)}`),
  endOtherSessions: () => request<{ ended: number }>('DELETE', '/me/sessions'),
  /** An administrator logs a user out everywhere (their own account: everywhere but here). */
  endUserSessions: (userId: string) => request<{ ended: number }>('DELETE', `/admin/users/${encodeURIComponent(userId)}/sessions`),
  /** Issue 10 item 3: a one-time recovery code for a user with 2FA enabled and no app, shown once; the user is mailed the link. */
  startPasswordRecovery: (userId: string) => request<{ code: string; expiresAt: string }>('POST', `/admin/users/${encodeURIComponent(userId)}/password-recovery`),
};

/** The vendor's support console (/support): its own login and session, no instance routes. */
export const supportApi = {
  login: (input: { email: string; password: string }) => request<LoginStep>('POST', '/support/login', input),
  verify: (code: string) => request<LoginStep>('POST', '/support/verify', { code }),
  stepUp: (code: string) => request<void>('POST', '/support/step-up', { code }),
  me: () => request<Operator>('GET', '/support/me'),
  logout: () => request<void>('POST', '/support/logout'),
  instances: (q: string) => request<{ instances: SupportInstance[] }>('GET', `/support/instances${queryString({ q })}`),
  users: (slug: string, query: { q?: string; limit?: number; cursor?: string }) =>
    request<SupportUserPage>('GET', `/support/instances/${encodeURIComponent(slug)}/users${queryString(query)}`),
  resetTwoFactor: (slug: string, id: string, verification: Verification) =>
    request<void>('POST', `/support/instances/${encodeURIComponent(slug)}/users/${encodeURIComponent(id)}/two-factor/reset`, { verification }),
};

/**
 * One of your sessions (My Profile → Sessions): where and when, never the address. `id` is a public
 * name for the session (no part of any cookie); `current` is the session of this browser.
 */
export interface ActiveSession extends KnownLocation {
  /** A code (or backup code) was entered in it, rather than only a password. */
  secondFactorVerified: boolean;
}
