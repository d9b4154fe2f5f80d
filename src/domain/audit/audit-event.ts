import type { User } from '../account/user.ts';

/** Every action the audit log records (docs/recovery-and-audit.md lists when and with what). */
export const AUDIT_ACTIONS = [
  'login.succeeded',
  'login.failed',
  'account.locked',
  'step_up.succeeded',
  'step_up.failed',
  'two_factor.enabled',
  'two_factor.disabled',
  'two_factor.set_up',
  'two_factor.reset',
  'two_factor.requested',
  'backup_code.used',
  'backup_code.replaced',
  'password.changed',
  'password.reset',
  'known_location.revoked',
  'policy.updated',
  'settings.updated',
  'user.invited',
  'user.created',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'support.login_succeeded',
  'support.login_failed',
  'support.locked',
  'session.ended',
  'session.others_ended',
  'session.ended_by_admin',
  // A logout: keyward's own (POST /auth/logout) or one a relying party asked for (RP-initiated).
  'session.logged_out',
  'password.recovery_started',
  // Issue 12: an instance's OpenID Connect clients (docs/oidc.md, "Clients").
  'oidc_client.created',
  'oidc_client.updated',
  'oidc_client.deleted',
  'oidc_client.secret_rotated',
  // Issue 14: an instance's protected applications (forward auth, docs/forward-auth.md).
  'protected_app.created',
  'protected_app.updated',
  'protected_app.deleted',
  // Issue 13: accounts (docs/policy-and-users.md, "Managing users").
  'invitation.accepted',
  'invitation.resent',
  'user.updated',
  'user.deleted',
  // Issue 13: the vendor moved the instance to another plan (CLI or support console).
  'instance.plan_changed',
  // Issue 13: the vendor disabled a support operator (CLI); no instance's log.
  'support.operator_disabled',
  // Issue 15: `keyward rotate-key` re-sealed the database with the newest KEYWARD_SECRET_KEY; no instance's log.
  'secret_key.rotated',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** `oidc_client`: a machine client with an access token of the admin API (issue 12, docs/oidc.md). */
export type ActorType = 'user' | 'operator' | 'cli' | 'system' | 'oidc_client';

export interface AuditActor {
  type: ActorType;
  id: string | null;
  /** Who it was, as they were called then: the log must read right after renames and deletions. */
  label: string;
}

export interface AuditTarget {
  id: string;
  label: string;
}

/** An event as written: in the same statement as the change it records, when it can be. */
export interface NewAuditEvent {
  /** null only for an operator's own events, which belong to no instance. */
  instanceId: string | null;
  at: Date;
  action: AuditAction;
  actor: AuditActor;
  target: AuditTarget | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

export interface AuditEvent extends NewAuditEvent {
  id: string;
}

/** How a person appears in the log: name and email, as an admin recognises them. */
export function personLabel(person: { name: string; email: string }): string {
  return `${person.name} <${person.email}>`;
}

export function userActor(user: Pick<User, 'id' | 'name' | 'email'>): AuditActor {
  return { type: 'user', id: user.id, label: personLabel(user) };
}

/** A support operator, named as the log shows them to an instance's administrators. */
export function operatorActor(operator: { id: string; name: string; email: string }): AuditActor {
  return { type: 'operator', id: operator.id, label: `Support: ${personLabel(operator)}` };
}

export function userTarget(user: Pick<User, 'id' | 'name' | 'email'>): AuditTarget {
  return { id: user.id, label: personLabel(user) };
}

/**
 * The actor of a failed sign-in: whoever typed the credentials is not verified, so the event
 * names the account tried, not a person (the account is the event's target).
 */
export function attemptActor(user: Pick<User, 'email'>): AuditActor {
  return { type: 'user', id: null, label: `Sign-in attempt as ${user.email}` };
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, label: 'keyward' };

/** Where a request came from, as the log keeps it. */
export interface AuditClient {
  ip: string | null;
  userAgent: string | null;
}

/** The client as an event's row holds it: the User-Agent cut to 512 characters (a header is not the log's to store whole). */
export function recordedClient(client: AuditClient): AuditClient {
  return { ip: client.ip, userAgent: client.userAgent?.slice(0, 512) ?? null };
}

/** Who changes an instance's configuration (an application, a protected application): an administrator, the CLI or a machine client. */
export interface ConfigurationChanger {
  instanceId: string;
  actor: AuditActor;
  client: AuditClient;
}

/** An event about a thing of an instance's configuration that `by` changed (its id and name as the target). */
export function changeEvent(
  at: Date,
  by: ConfigurationChanger,
  action: AuditAction,
  target: AuditTarget,
  details: Record<string, unknown> = {},
): NewAuditEvent {
  return { instanceId: by.instanceId, at, action, actor: by.actor, target, ...recordedClient(by.client), details };
}

/**
 * An event about a user of an instance. With no `actor`, the user acted on their own account
 * (the usual case: logins, their own 2FA switch, their password).
 */
export function userEvent(
  at: Date,
  action: AuditAction,
  instanceId: string,
  user: Pick<User, 'id' | 'name' | 'email'>,
  client: AuditClient,
  details: Record<string, unknown> = {},
  actor?: AuditActor,
): NewAuditEvent {
  return {
    instanceId,
    at,
    action,
    actor: actor ?? userActor(user),
    target: userTarget(user),
    ...recordedClient(client),
    details,
  };
}

/** The fields that differ between two settings objects (one level of nesting), as `{before, after}` with dotted keys. */
export function changedFields(before: object, after: object): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const flat = (value: object, prefix = ''): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(value).flatMap(([key, v]) =>
        v !== null && typeof v === 'object' && !(v instanceof Date)
          ? Object.entries(flat(v as object, `${prefix}${key}.`))
          : [[`${prefix}${key}`, v instanceof Date ? v.toISOString() : v]],
      ),
    );
  const a = flat(before);
  const b = flat(after);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
  return { before: Object.fromEntries(keys.map((k) => [k, a[k] ?? null])), after: Object.fromEntries(keys.map((k) => [k, b[k] ?? null])) };
}

/** Who acts at an admin route: an administrator, or a machine client (its client id and name). */
export type AdminActorSource = { instance: { id: string } } & (
  { user: Pick<User, 'id' | 'name' | 'email'> } | { kind: 'machine'; client: { clientId: string; name: string } }
);

export function adminActor(active: AdminActorSource): AuditActor {
  return 'user' in active
    ? userActor(active.user)
    : { type: 'oidc_client', id: active.client.clientId, label: `Application: ${active.client.name}` };
}

/** An administrator's (or a machine client's) action in their instance; `target` is the user acted on, if any. */
export function adminEvent(
  deps: { clock: { now(): Date } },
  active: AdminActorSource,
  action: AuditAction,
  target: Pick<User, 'id' | 'name' | 'email'> | null,
  client: AuditClient,
  details: Record<string, unknown> = {},
): NewAuditEvent {
  return {
    instanceId: active.instance.id,
    at: deps.clock.now(),
    action,
    actor: adminActor(active),
    target: target ? userTarget(target) : null,
    ...recordedClient(client),
    details,
  };
}
