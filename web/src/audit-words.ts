/**
 * Audit events in plain words (docs/recovery-and-audit.md): what happened, who did it, and from
 * which browser. Shared by Settings → Audit and My Profile's recent activity.
 */
import type { AuditAction, AuditEvent, VerificationMethod } from './api.ts';
import { messages } from './i18n/index.ts';
import { formatTime } from './time.ts';

/** The audit words of the chosen language (web/src/i18n: `audit`). */
function words() {
  return messages().audit;
}

/** The actions of an instance's log, for its filter, in the catalogue's order: support's own logins belong to no instance. */
export function instanceAuditActions(): Array<[AuditAction, string]> {
  return (Object.entries(words().actions) as Array<[AuditAction, string]>).filter(([action]) => !action.startsWith('support.'));
}

/** How support verified who an administrator is, in words. */
export function verificationMethodText(method: VerificationMethod): string {
  return words().methods[method];
}

/** The methods support can record now, in the order offered (src/domain/recovery/verification-method.ts says why). */
export const OFFERED_VERIFICATION_METHODS: VerificationMethod[] = [
  'admin_confirmation',
  'contract_contact',
  'phone_callback',
  'video_call',
  'other',
];

/** The words for a value read from an event's details (free-form JSON), or the value itself. */
function wordFor<K extends string>(words: Record<K, string>, value: string): string {
  return (words as Record<string, string>)[value] ?? value;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export function actionText(action: AuditAction): string {
  return words().actions[action];
}

/** A login's factors as people say them: "password and authenticator code". */
function factors(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  const names = value.filter((item): item is string => typeof item === 'string').map((item) => words().factors[item] ?? item);
  return names.length > 0 ? names.join(words().and) : null;
}

/** The verification record of a reset by support or the CLI: "Video call with ID check, ticket T-1". */
function verification(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  const method = text(record.method);
  const parts = [
    method ? wordFor(words().methods, method) : null,
    text(record.reference) ? words().reference(String(record.reference)) : null,
    text(record.notes),
  ];
  return parts.filter(Boolean).join(', ') || null;
}

/** "By support; Video call with ID check, reference SUP-1" or "By an administrator; reason: lost phone". */
function resetDetails(details: Record<string, unknown>): string | null {
  const by = text(details.by);
  const parts = [
    by ? (words().resetBy[by] ?? by) : null,
    verification(details.verification),
    text(details.reason) ? words().reason(String(details.reason)) : null,
  ];
  const line = parts.filter(Boolean).join('; ');
  return line ? line.charAt(0).toUpperCase() + line.slice(1) : null;
}

/** "Changed redirect URIs and name": which fields an application change touched. */
function changedNames(after: unknown): string | null {
  if (!after || typeof after !== 'object') return null;
  const names = Object.keys(after).map((key) => words().clientFields[key] ?? key);
  return names.length > 0 ? words().changed(names.join(', ')) : null;
}

/** One stored value as a person reads it: on/off, a time, "none". */
function settingValue(value: unknown): string {
  if (value === true) return words().valueOn;
  if (value === false) return words().valueOff;
  if (value === null || value === undefined || value === '') return words().valueNone;
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
    ([key, value]) => `${words().settingFields[key] ?? key}: ${settingValue(was[key])} → ${settingValue(value)}`,
  );
  return lines.length > 0 ? lines.join(' · ') : null;
}

/** A short line with what the details add, or null when they add nothing a person needs. */
export function detailsText(event: AuditEvent): string | null {
  const details = event.details ?? {};
  const factor = text(details.factor);
  const w = words();
  switch (event.action) {
    case 'login.succeeded':
      return factors(details.factors) ? w.withFactors(factors(details.factors)!) : null;
    case 'login.failed':
    case 'step_up.failed':
      return factor ? w.wrongFactor(w.factors[factor] ?? factor) : null;
    case 'step_up.succeeded':
      return factor ? w.withFactors(w.factors[factor] ?? factor) : null;
    case 'account.locked':
      return details.permanent === true
        ? w.lockedUntilReset
        : typeof details.failures === 'number'
          ? w.afterFailures(details.failures)
          : null;
    case 'two_factor.set_up':
      return details.replaced === true ? w.replacedApp : null;
    case 'two_factor.reset':
      return resetDetails(details);
    case 'two_factor.requested':
      return typeof details.emailed === 'number' ? w.emailed(details.emailed) : null;
    case 'backup_code.used':
      return text(details.during) ? (w.backupCodeDuring[String(details.during)] ?? null) : null;
    case 'known_location.revoked':
      return typeof details.count === 'number' ? w.revoked(details.count) : null;
    case 'user.invited':
    case 'user.created':
      return text(details.role) ? w.asRole(wordFor(w.roles, String(details.role))) : null;
    case 'user.role_changed':
      return text(details.from) && text(details.to)
        ? w.fromTo(wordFor(w.roles, String(details.from)), wordFor(w.roles, String(details.to)))
        : null;
    case 'session.ended':
      return text(details.device)
        ? `${String(details.device)}${text(details.network) ? ` (${String(details.network)})` : ''}${details.current === true ? w.thisBrowser : ''}`
        : null;
    case 'session.others_ended':
    case 'session.ended_by_admin':
      return typeof details.count === 'number' ? w.sessionsEnded(details.count, details.keptCurrent === true) : null;
    case 'session.logged_out':
      return details.via === 'application'
        ? w.askedByApplication(text(details.client) ? String(details.client) : String(details.clientId))
        : null;
    case 'password.recovery_started':
      return text(details.expiresAt) ? w.codeValidUntil(eventTime(String(details.expiresAt))) : null;
    case 'oidc_client.created':
      return details.public === true ? w.publicClient : details.public === false ? w.confidentialClient : null;
    case 'oidc_client.updated':
      return changedNames(details.after);
    case 'policy.updated':
    case 'settings.updated':
      return changesText(details);
    case 'user.updated':
      return Array.isArray(details.changed) && details.changed.length > 0
        ? w.changed(details.changed.map((field) => (field === 'email' ? w.changedEmail : w.changedName)).join(w.and))
        : null;
    case 'user.deleted':
      return text(details.email) ? w.was(String(details.email)) : null;
    case 'password.reset':
      return details.via === 'admin_recovery' ? w.withRecoveryCode : null;
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
  const w = words();
  if (actor.type === 'cli') return w.actorCli;
  // The product's name, in every language.
  if (actor.type === 'system') return 'keyward';
  if (actor.type === 'operator') return operatorLabel(actor.label) ?? w.actorSupport;
  if (actor.type === 'oidc_client') return actor.label ?? w.actorApplication;
  return actor.label ?? w.actorUser;
}

/** "Reset by Ada Admin", from the point of view of the user it was done to. */
export function doneByText(event: AuditEvent): string {
  const w = words();
  const verb = w.doneBy[event.action] ?? w.done;
  const { actor } = event;
  if (actor.type === 'cli') return w.byCli(verb);
  if (actor.type === 'system') return w.bySystem(verb);
  // A machine client with an access token (Settings → Applications): "Application: Billing".
  if (actor.type === 'oidc_client') return w.byApplication(verb, actor.label.replace(/^Application:\s*/, ''));
  const name = personName(actor.type === 'operator' ? operatorLabel(actor.label) : actor.label);
  if (actor.type === 'operator') return w.bySupport(verb, name);
  return w.byPerson(verb, name);
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
  if (!userAgent) return words().unknownBrowser;
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return words().browserOn(browser, system);
  return browser ?? system ?? (userAgent.length > 24 ? `${userAgent.slice(0, 24)}…` : userAgent);
}

/** "23 Nov, 10:00 CET" this year, with the year otherwise (the one formatter, time.ts). */
export function eventTime(at: string): string {
  return formatTime(at);
}
