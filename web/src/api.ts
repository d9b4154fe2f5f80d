/**
 * The only place that talks to the server: JSON over /api/v1, the session cookie sent by the
 * browser. Every failure becomes an ApiError carrying the server's stable `code`; the UI branches
 * on the code and shows the catalogue's words for it (errors.ts).
 */

/**
 * The server's codes (its `Record<ErrorCode, number>` table), its generic 500, and two of this
 * client's own: the server could not be reached, or answered without a code.
 */
export type ApiErrorCode = ErrorCode | 'internal_error' | 'network' | 'http_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
    /** From the Retry-After header of 423 and 429 answers. */
    readonly retryAfterSeconds?: number,
    /** Finer than the code where the server says why (weak_password, locked). */
    readonly reason?: ErrorReason,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/*
 * The server's answers and bodies, from its contract (types only: `import type`, so no server code
 * reaches this bundle). A field or value the server adds or drops changes these types.
 */
import type * as Contract from '../../src/http/api/contract.ts';

import type {
  PasswordLinkStatus,
  AdoptionDay,
  AuditAction,
  AuditActorType,
  AuditEvent,
  ErrorCode,
  KnownLocation,
  KnownLocationSettings,
  ListedUser,
  LoginStep,
  MailboxMessage,
  MailStatus,
  Operator,
  OutboxEntry,
  PasswordPolicy,
  Role,
  SupportInstance,
  SupportUser,
  SupportUserPage,
  TotpSetup,
  TwoFactorStatus,
  UserPage,
  UserStatus,
  VerificationMethod,
} from '../../src/http/api/contract.ts';

export type {
  AdoptionDay,
  PasswordLinkStatus,
  AuditAction,
  AuditActorType,
  AuditEvent,
  ErrorCode,
  KnownLocation,
  KnownLocationSettings,
  ListedUser,
  LoginStep,
  MailboxMessage,
  MailStatus,
  Operator,
  OutboxEntry,
  PasswordPolicy,
  Role,
  SupportInstance,
  SupportUser,
  SupportUserPage,
  TotpSetup,
  TwoFactorStatus,
  UserPage,
  UserStatus,
  VerificationMethod,
};

export type Me = Contract.MeResponse;
/** The plans the server sells (src/domain/instance/instance.ts PLANS); the wire says only "string". */
export type Plan = 'professional' | 'business' | 'enterprise';
/** Why a request was refused, finer than its code (weak_password's and locked's `reason`). */
export type ErrorReason = NonNullable<Contract.ErrorBody['error']['reason']>;
export type OidcClient = Contract.OidcClient;
export type OidcClientWithSecret = Contract.OidcClientWithSecret;
export type ProtectedApp = Contract.ProtectedApp;
export type TwoFactor = Contract.TwoFactorState;
export type PolicyPatch = Contract.PolicyPatchBody;
export type SetupInput = Contract.FirstRunBody;
/** One of your sessions (My Profile → Sessions): where and when, never the address; `current` is this browser's. */
export type ActiveSession = Contract.ListedSession;

/** What proves the second factor: a code from the app, or the backup code that was emailed. */
export type SecondFactor = { code: string } | { backupCode: string };

export type UserSort = 'email' | 'name';

/** The Users list's query; numbers here, strings on the wire. */
export interface UserQuery {
  q?: string;
  twoFactor?: Contract.TwoFactorStatus;
  sort?: UserSort;
  limit?: number;
  cursor?: string;
}

export interface AuditQuery {
  action?: Contract.AuditAction;
  userId?: string;
  /** ISO instants: events at or after `from`, before `to`. */
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

/** How support staff confirmed who an administrator is before resetting their 2FA (SPEC rule 9). */
export interface Verification {
  method: Contract.VerificationMethod;
  reference: string;
  notes?: string;
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
  if (!response.ok) throw lost(path, toApiError(response, payload));
  return payload as T;
}

/** Fired on window when a signed-in page's request finds the session gone (session.tsx listens). */
export const SESSION_LOST_EVENT = 'keyward:session-lost';

/**
 * A signed-in page's request refused because the session is gone (401) or held at an enforced
 * setup (403 setup_enforced): the session layer hears of it (session.tsx) and shows the login
 * or setup page. Login steps (/auth/…) and the support console handle their own answers.
 */
function lost(path: string, error: ApiError): ApiError {
  const gone = error.code === 'unauthenticated' || error.code === 'setup_enforced';
  if (gone && path !== '/me' && !path.startsWith('/auth/') && !path.startsWith('/support')) {
    window.dispatchEvent(new Event(SESSION_LOST_EVENT));
  }
  return error;
}

function toApiError(response: Response, payload: unknown): ApiError {
  const { status } = response;
  const error = (payload as { error?: { code?: unknown; message?: unknown; field?: unknown; reason?: unknown } } | null)?.error;
  // Why a cast: the answer comes from the server this bundle was built with (same contract).
  const code = typeof error?.code === 'string' ? (error.code as ApiErrorCode) : 'http_error';
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${status}.`;
  const field = typeof error?.field === 'string' ? error.field : undefined;
  // Why a cast: as for the code, the reason comes from the server this bundle was built with.
  const reason = typeof error?.reason === 'string' ? (error.reason as ErrorReason) : undefined;
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  return new ApiError(status, code, message, field, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined, reason);
}

export const api = {
  me: () => request<Me>('GET', '/me'),
  supportContact: () => request<{ email: string | null; url: string | null }>('GET', '/support-contact'),
  login: (input: Contract.LoginBody) => request<LoginStep>('POST', '/auth/login', input),
  verify: (input: SecondFactor) => request<LoginStep>('POST', '/auth/verify', input satisfies Contract.SecondFactorBody),
  /** At login's `setup` step without a body; from a full session with the current password (and code, to replace an app). */
  startTotpSetup: (proof?: { currentPassword: string; code?: string }) =>
    request<TotpSetup>('POST', '/auth/setup', proof satisfies Contract.TotpSetupProof | undefined),
  confirmTotpSetup: (code: string) => request<LoginStep>('POST', '/auth/setup/confirm', { code } satisfies Contract.CodeBody),
  postponeSetup: () => request<LoginStep>('POST', '/auth/postpone'),
  stepUp: (factor: SecondFactor) => request<void>('POST', '/auth/step-up', factor satisfies Contract.SecondFactorBody),
  /** The forced change at login (step change_password), or a voluntary one from a full session. */
  changePassword: (input: Contract.ChangePasswordBody) => request<LoginStep>('POST', '/auth/password', input),
  /** Sets the first password with the invitation link's token; never logs in (answers 204). */
  acceptInvitation: (input: Pick<Contract.PasswordLinkBody, 'token' | 'password'>) => request<void>('POST', '/auth/invitation', input),
  /** Always 204, whether or not the account exists. */
  forgotPassword: (input: Contract.ForgotPasswordBody) => request<void>('POST', '/auth/forgot', input),
  /** A new password with the reset link's token; with 2FA active, a current code too (400, field code, without one). */
  resetPassword: (input: Contract.PasswordLinkBody) => request<void>('POST', '/auth/reset', input),
  linkStatus: (input: Contract.PasswordLinkInfoBody) => request<Contract.PasswordLinkStatus>('POST', '/auth/link-status', input),
  passwordLink: (input: Contract.PasswordLinkInfoBody) => request<Contract.PasswordLinkInfo>('POST', '/auth/password-link', input),
  logout: () => request<void>('POST', '/auth/logout'),
  setTwoFactor: (input: { enabled: true } | ({ enabled: false } & Partial<{ currentPassword: string; code: string }>)) =>
    request<TwoFactor>('PUT', '/me/two-factor', input satisfies Contract.TwoFactorBody),
  newBackupCode: () => request<void>('POST', '/me/backup-code'),
  knownLocations: () => request<Contract.KnownLocationList>('GET', '/me/known-locations'),
  revokeKnownLocation: (id: string) => request<void>('DELETE', `/me/known-locations/${encodeURIComponent(id)}`),
  revokeAllKnownLocations: () => request<void>('DELETE', '/me/known-locations'),
  instanceSettings: () => request<Contract.InstanceSettings>('GET', '/admin/instance-settings'),
  saveInstanceSettings: (knownLocations: Partial<KnownLocationSettings>) =>
    request<Contract.InstanceSettings>('PUT', '/admin/instance-settings', { knownLocations } satisfies Contract.InstanceSettingsBody),
  mail: (status?: MailStatus) => request<Contract.MailList>('GET', `/admin/mail${status ? `?status=${status}` : ''}`),
  retryMail: (id: number) => request<void>('POST', `/admin/mail/${encodeURIComponent(String(id))}/retry`),
  users: (query: UserQuery) => request<UserPage>('GET', `/admin/users${queryString(query)}`),
  inviteUser: (input: Contract.InviteBody) => request<ListedUser>('POST', '/admin/users', input),
  deleteUser: (id: string) => request<void>('DELETE', `/admin/users/${encodeURIComponent(id)}`),
  resendInvitation: (id: string) => request<void>('POST', `/admin/users/${encodeURIComponent(id)}/invitation`, {}),
  updateUser: (id: string, change: Contract.UpdateUserBody) =>
    request<ListedUser>('PATCH', `/admin/users/${encodeURIComponent(id)}`, change),
  askToEnableTwoFactor: () => request<Contract.Emailed>('POST', '/admin/two-factor/requests'),
  twoFactorAdoption: () => request<Contract.Adoption>('GET', '/admin/two-factor/adoption'),
  /** Removes the user's app, backup code, trusted browsers and sessions; they set an app up again at next login. */
  resetTwoFactor: (id: string, reason?: string) =>
    request<void>('POST', `/admin/users/${encodeURIComponent(id)}/two-factor/reset`, reason ? { reason } : {}),
  audit: (query: AuditQuery) => request<Contract.AuditPage>('GET', `/admin/audit${queryString(query)}`),
  /** The CSV export's address (a GET the browser downloads with its cookies). */
  auditExportUrl: (query: Omit<AuditQuery, 'limit' | 'cursor'>) => `${BASE}/admin/audit/export${queryString(query)}`,
  myActivity: () => request<Contract.Activity>('GET', '/me/activity'),
  passwordPolicy: () => request<PasswordPolicy>('GET', '/admin/password-policy'),
  savePasswordPolicy: (patch: Contract.PolicyPatchBody) => request<PasswordPolicy>('PUT', '/admin/password-policy', patch),
  setupStatus: () => request<Contract.FirstRunStatus>('GET', '/setup'),
  setup: (input: SetupInput) => request<LoginStep>('POST', '/setup', input),
  mailbox: () => request<Contract.Mailbox>('GET', '/dev/mailbox'),
  sessions: () => request<Contract.SessionList>('GET', '/me/sessions'),
  /** Ends one of your sessions; ending this browser's is a logout. */
  endSession: (id: string) => request<void>('DELETE', `/me/sessions/${encodeURIComponent(id)}`),
  endOtherSessions: () => request<Contract.EndedCount>('DELETE', '/me/sessions'),
  /** An administrator logs a user out everywhere (their own account: everywhere but here). */
  endUserSessions: (userId: string) => request<Contract.EndedCount>('DELETE', `/admin/users/${encodeURIComponent(userId)}/sessions`),
  /** Issue 10 item 3: a one-time recovery code for a user with 2FA enabled and no app, shown once; the user is mailed the link. */
  startPasswordRecovery: (userId: string) =>
    request<Contract.RecoveryCode>('POST', `/admin/users/${encodeURIComponent(userId)}/password-recovery`),
  /** Settings → Applications: the instance's OpenID Connect clients, never with their secrets. */
  oidcClients: () => request<Contract.OidcClientList>('GET', '/admin/oidc/clients'),
  /** The secret is in this answer only. */
  createOidcClient: (input: Contract.CreateOidcClientBody) => request<OidcClientWithSecret>('POST', '/admin/oidc/clients', input),
  updateOidcClient: (clientId: string, change: Contract.PatchOidcClientBody) =>
    request<OidcClient>('PATCH', `/admin/oidc/clients/${encodeURIComponent(clientId)}`, change),
  deleteOidcClient: (clientId: string) => request<void>('DELETE', `/admin/oidc/clients/${encodeURIComponent(clientId)}`),
  protectedApps: () => request<Contract.ProtectedAppList>('GET', '/admin/protected-apps'),
  createProtectedApp: (input: Contract.CreateProtectedAppBody) => request<ProtectedApp>('POST', '/admin/protected-apps', input),
  /** PATCH takes any of the create body's fields (SPEC §7); the server checks the result as a whole. */
  updateProtectedApp: (id: string, change: Partial<Contract.CreateProtectedAppBody>) =>
    request<ProtectedApp>('PATCH', `/admin/protected-apps/${encodeURIComponent(id)}`, change),
  deleteProtectedApp: (id: string) => request<void>('DELETE', `/admin/protected-apps/${encodeURIComponent(id)}`),
  /** A new secret, in this answer only; the old one stops working. */
  rotateOidcClientSecret: (clientId: string) =>
    request<OidcClientWithSecret>('POST', `/admin/oidc/clients/${encodeURIComponent(clientId)}/secret`),
};

/** The vendor's support console (/support): its own login and session, no instance routes. */
export const supportApi = {
  login: (input: Contract.SupportLoginBody) => request<LoginStep>('POST', '/support/login', input),
  verify: (code: string) => request<LoginStep>('POST', '/support/verify', { code } satisfies Contract.CodeBody),
  stepUp: (code: string) => request<void>('POST', '/support/step-up', { code } satisfies Contract.CodeBody),
  me: () => request<Operator>('GET', '/support/me'),
  logout: () => request<void>('POST', '/support/logout'),
  instances: (q: string) => request<Contract.SupportInstances>('GET', `/support/instances${queryString({ q })}`),
  users: (slug: string, query: { q?: string; limit?: number; cursor?: string }) =>
    request<SupportUserPage>('GET', `/support/instances/${encodeURIComponent(slug)}/users${queryString(query)}`),
  changePlan: (slug: string, plan: SupportInstance['plan']) =>
    request<{ instance: SupportInstance }>('PUT', `/support/instances/${encodeURIComponent(slug)}/plan`, { plan }),
  resetTwoFactor: (slug: string, id: string, verification: Verification) =>
    request<void>('POST', `/support/instances/${encodeURIComponent(slug)}/users/${encodeURIComponent(id)}/two-factor/reset`, {
      verification,
    } satisfies Contract.SupportResetBody),
};
