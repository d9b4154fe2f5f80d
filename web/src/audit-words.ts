/**
 * Audit events in plain words (docs/recovery-and-audit.md): what happened, who did it, and from
 * which browser. Shared by Settings → Audit and My Profile's recent activity.
 */
import type { AuditAction, AuditEvent, Role, VerificationMethod } from './api.ts';
import { formatTime } from './time.ts';

/**
 * Every action the server records, in the order the filter lists them, with its plain words: the
 * server's list is the key type, so an action added there does not compile here without words.
 */
const ACTION_WORDS: Record<AuditAction, string> = {
  'login.succeeded': 'Logged in',
  'login.failed': 'Failed login',
  'account.locked': 'Account locked',
  'step_up.succeeded': 'Sensitive change confirmed with a code',
  'step_up.failed': 'Wrong code for a sensitive change',
  'two_factor.enabled': 'Two-factor authentication turned on',
  'two_factor.disabled': 'Two-factor authentication turned off',
  'two_factor.set_up': 'Authenticator app set up',
  'two_factor.reset': 'Two-factor authentication reset',
  'two_factor.requested': 'Users asked to turn on two-factor authentication',
  'backup_code.used': 'Backup code used',
  'backup_code.replaced': 'New backup code sent',
  'password.changed': 'Password changed',
  'password.reset': 'Password reset with an emailed link',
  'known_location.revoked': 'Trusted browsers revoked',
  'policy.updated': 'Password policy changed',
  'settings.updated': 'Known-location settings changed',
  'user.invited': 'User invited',
  'user.created': 'Account created',
  'user.role_changed': 'Role changed',
  'user.disabled': 'User disabled',
  'user.enabled': 'User enabled',
  'session.ended': 'Session ended',
  'session.others_ended': 'Other sessions ended',
  'session.ended_by_admin': 'All sessions ended by an administrator',
  'password.recovery_started': 'Password recovery started by an administrator',
  'session.logged_out': 'Logged out',
  'oidc_client.created': 'Application added',
  'oidc_client.updated': 'Application changed',
  'oidc_client.deleted': 'Application deleted',
  'oidc_client.secret_rotated': 'Application secret replaced',
  'protected_app.created': 'Protected application added',
  'protected_app.updated': 'Protected application changed',
  'protected_app.deleted': 'Protected application deleted',
  'invitation.accepted': 'Invitation accepted, password chosen',
  'invitation.resent': 'Invitation sent again',
  'user.updated': 'Name or email changed',
  'user.deleted': 'User deleted',
  'support.login_succeeded': 'Support logged in',
  'support.login_failed': 'Failed support login',
  'support.locked': 'Support account locked',
  'support.operator_disabled': 'Support operator disabled',
  'instance.plan_changed': 'Plan changed',
};

/** The actions of an instance's log, for its filter: support's own logins belong to no instance. */
export const INSTANCE_AUDIT_ACTIONS = (Object.entries(ACTION_WORDS) as Array<[AuditAction, string]>).filter(
  ([action]) => !action.startsWith('support.'),
);

/** "Reset by Ada Admin": the verb for an action done to someone by another person. */
const DONE_BY: Record<string, string> = {
  'two_factor.reset': 'Reset',
  'user.invited': 'Invited',
  'user.created': 'Created',
  'user.role_changed': 'Changed',
  'user.disabled': 'Disabled',
  'user.enabled': 'Enabled',
  'invitation.resent': 'Sent',
  'user.updated': 'Changed',
  'user.deleted': 'Deleted',
  'session.ended_by_admin': 'Ended',
  'password.recovery_started': 'Started',
};

const FACTOR: Record<string, string> = {
  password: 'password',
  totp: 'authenticator code',
  backup_code: 'backup code',
  known_location: 'known location',
};

export const VERIFICATION_METHODS: Record<VerificationMethod, string> = {
  admin_confirmation: 'Confirmed by another administrator of the instance',
  contract_contact: 'Confirmed by the customer’s contract or billing contact',
  phone_callback: 'Called back on a number from our customer records',
  video_call: 'Video call: official ID matched to the account’s name',
  id_document: 'Identity document (no longer offered)',
  other: 'Other',
};

/** The methods support can record now, in the order offered (src/domain/recovery/verification-method.ts says why). */
export const OFFERED_VERIFICATION_METHODS: VerificationMethod[] = [
  'admin_confirmation',
  'contract_contact',
  'phone_callback',
  'video_call',
  'other',
];

const BACKUP_CODE_DURING: Record<string, string> = {
  login: 'At login',
  step_up: 'To confirm a sensitive change',
  disable: 'To turn off two-factor authentication',
};
const RESET_BY: Record<string, string> = { admin: 'by an administrator', support: 'by support', cli: 'on the server (command line)' };
const ROLE: Record<Role, string> = { admin: 'administrator', member: 'member' };

/** The words for a value read from an event's details (free-form JSON), or the value itself. */
function wordFor<K extends string>(words: Record<K, string>, value: string): string {
  return (words as Record<string, string>)[value] ?? value;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export function actionText(action: AuditAction): string {
  return ACTION_WORDS[action];
}

/** A login's factors as people say them: "password and authenticator code". */
function factors(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  const names = value.filter((item): item is string => typeof item === 'string').map((item) => FACTOR[item] ?? item);
  return names.length > 0 ? names.join(' and ') : null;
}

/** The verification record of a reset by support or the CLI: "Video call with ID check, ticket T-1". */
function verification(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  const method = text(record.method);
  const parts = [
    method ? wordFor(VERIFICATION_METHODS, method) : null,
    text(record.reference) ? `reference ${String(record.reference)}` : null,
    text(record.notes),
  ];
  return parts.filter(Boolean).join(', ') || null;
}

/** "By support; Video call with ID check, reference SUP-1" or "By an administrator; reason: lost phone". */
function resetDetails(details: Record<string, unknown>): string | null {
  const by = text(details.by);
  const parts = [
    by ? (RESET_BY[by] ?? by) : null,
    verification(details.verification),
    text(details.reason) ? `reason: ${String(details.reason)}` : null,
  ];
  const line = parts.filter(Boolean).join('; ');
  return line ? line.charAt(0).toUpperCase() + line.slice(1) : null;
}

const CLIENT_FIELDS: Record<string, string> = {
  name: 'name',
  redirectUris: 'redirect URIs',
  postLogoutRedirectUris: 'post-logout URIs',
  backchannelLogoutUri: 'back-channel logout URI',
  defaultAcrValues: 'required sign-in',
  grantTypes: 'grant types',
  scopes: 'scopes',
};

/** "Changed redirect URIs and name": which fields an application change touched. */
function changedNames(after: unknown): string | null {
  if (!after || typeof after !== 'object') return null;
  const names = Object.keys(after).map((key) => CLIENT_FIELDS[key] ?? key);
  return names.length > 0 ? `Changed ${names.join(', ')}` : null;
}

/** The policy's and settings' fields as Security settings names them (keys as changedFields flattens them). */
const SETTING_FIELDS: Record<string, string> = {
  'twoFactor.autoEnable': 'Two-factor for everyone',
  'twoFactor.enforceSetup': 'Require setup',
  'twoFactor.enforceFrom': 'Enforce from',
  'twoFactor.maxPostpones': 'Maximum postponements',
  'password.minLength': 'Minimum length',
  'password.maxAgeDays': 'Password expiry (days)',
  'password.warnDays': 'Warning before expiry (days)',
  'password.historyCount': 'Previous passwords refused',
  'knownLocations.trustDays': 'Trusted for (days)',
  'knownLocations.requireSameNetwork': 'Same network required',
};

/** One stored value as a person reads it: on/off, a time, "none". */
function settingValue(value: unknown): string {
  if (value === true) return 'on';
  if (value === false) return 'off';
  if (value === null || value === undefined || value === '') return 'none';
  if (typeof value === 'string') return /^\d{4}-\d{2}-\d{2}T/.test(value) ? eventTime(value) : value;
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/**
 * "Minimum length: 12 → 14 · Require setup: off → on": what a policy or settings change changed,
 * from the `before` and `after` the server stores with the event (changedFields).
 */
export function changesText(details: Record<string, unknown>): string | null {
  const { before, after } = details;
  if (!after || typeof after !== 'object') return null;
  const was = before && typeof before === 'object' ? (before as Record<string, unknown>) : {};
  const lines = Object.entries(after as Record<string, unknown>).map(
    ([key, value]) => `${SETTING_FIELDS[key] ?? key}: ${settingValue(was[key])} → ${settingValue(value)}`,
  );
  return lines.length > 0 ? lines.join(' · ') : null;
}

/** A short line with what the details add, or null when they add nothing a person needs. */
export function detailsText(event: AuditEvent): string | null {
  const details = event.details ?? {};
  const factor = text(details.factor);
  switch (event.action) {
    case 'login.succeeded':
      return factors(details.factors) ? `With ${factors(details.factors)}` : null;
    case 'login.failed':
    case 'step_up.failed':
      return factor ? `Wrong ${FACTOR[factor] ?? factor}` : null;
    case 'step_up.succeeded':
      return factor ? `With ${FACTOR[factor] ?? factor}` : null;
    case 'account.locked':
      return details.permanent === true
        ? 'Locked until the password is reset'
        : typeof details.failures === 'number'
          ? `After ${details.failures} failed attempts`
          : null;
    case 'two_factor.set_up':
      return details.replaced === true ? 'Replaced the previous app' : null;
    case 'two_factor.reset':
      return resetDetails(details);
    case 'two_factor.requested':
      return typeof details.emailed === 'number' ? `${details.emailed} emailed` : null;
    case 'backup_code.used':
      return text(details.during) ? (BACKUP_CODE_DURING[String(details.during)] ?? null) : null;
    case 'known_location.revoked':
      return typeof details.count === 'number' ? `${details.count} revoked` : null;
    case 'user.invited':
    case 'user.created':
      return text(details.role) ? `As ${wordFor(ROLE, String(details.role))}` : null;
    case 'user.role_changed':
      return text(details.from) && text(details.to)
        ? `From ${wordFor(ROLE, String(details.from))} to ${wordFor(ROLE, String(details.to))}`
        : null;
    case 'session.ended':
      return text(details.device)
        ? `${String(details.device)}${text(details.network) ? ` (${String(details.network)})` : ''}${details.current === true ? ', this browser' : ''}`
        : null;
    case 'session.others_ended':
    case 'session.ended_by_admin':
      return typeof details.count === 'number'
        ? `${details.count} ${details.count === 1 ? 'session' : 'sessions'} ended${details.keptCurrent === true ? ', the current one kept' : ''}`
        : null;
    case 'session.logged_out':
      return details.via === 'application'
        ? `Asked by the application ${text(details.client) ? String(details.client) : String(details.clientId)}`
        : null;
    case 'password.recovery_started':
      return text(details.expiresAt) ? `Code valid until ${eventTime(String(details.expiresAt))}` : null;
    case 'oidc_client.created':
      return details.public === true ? 'Public (no secret)' : details.public === false ? 'Confidential (with a secret)' : null;
    case 'oidc_client.updated':
    case 'protected_app.updated':
      return changedNames(details.after);
    case 'policy.updated':
    case 'settings.updated':
      return changesText(details);
    case 'user.updated':
      return Array.isArray(details.changed) && details.changed.length > 0
        ? `Changed ${details.changed.map((field) => (field === 'email' ? 'email' : 'name')).join(' and ')}`
        : null;
    case 'user.deleted':
      return text(details.email) ? `Was ${String(details.email)}` : null;
    case 'password.reset':
      return details.via === 'admin_recovery' ? 'With the administrator’s recovery code' : null;
    default:
      return null;
  }
}

/** "Ada Admin <ada@example.com>" → "Ada Admin". */
export function personName(label: string | null): string | null {
  if (!label) return null;
  return label.replace(/\s*<[^>]*>\s*$/, '') || label;
}

/** An operator's label without the "Support: " the server puts before it (the UI says it its own way). */
export function operatorLabel(label: string | null): string | null {
  return label ? label.replace(/^Support:\s*/, '') : null;
}

/** Who did it, as the Audit table shows it. */
export function actorText(actor: AuditEvent['actor']): string {
  if (actor.type === 'cli') return 'Command line on the server';
  if (actor.type === 'system') return 'keyward';
  if (actor.type === 'operator') return operatorLabel(actor.label) ?? 'Support';
  if (actor.type === 'oidc_client') return actor.label ?? 'An application';
  return actor.label ?? 'A user';
}

/** "Reset by Ada Admin", from the point of view of the user it was done to. */
export function doneByText(event: AuditEvent): string {
  const verb = DONE_BY[event.action] ?? 'Done';
  const { actor } = event;
  if (actor.type === 'cli') return `${verb} on the server (command line)`;
  if (actor.type === 'system') return `${verb} by keyward`;
  // A machine client with an access token (Settings → Applications): "Application: Billing".
  if (actor.type === 'oidc_client') return `${verb} by the application ${actor.label.replace(/^Application:\s*/, '')}`;
  const name = personName(actor.type === 'operator' ? operatorLabel(actor.label) : actor.label);
  if (actor.type === 'operator') return `${verb} by support${name ? ` (${name})` : ''}`;
  return `${verb} by ${name ?? 'an administrator'}`;
}

const BROWSERS: Array<[RegExp, string]> = [
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/Firefox\/|FxiOS/, 'Firefox'],
  [/Chrom(e|ium)\/|CriOS/, 'Chrome'],
  [/Safari\//, 'Safari'],
  [/^curl\//, 'curl'],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome on Linux" from a user agent; the full string goes in a title. */
export function shortUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'Unknown';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? (userAgent.length > 24 ? `${userAgent.slice(0, 24)}…` : userAgent);
}

/** "23 Nov, 10:00 CET" this year, with the year otherwise (the one formatter, time.ts). */
export function eventTime(at: string): string {
  return formatTime(at);
}
