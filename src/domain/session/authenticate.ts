import type { ThrottleKey } from '../throttle/throttle.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from './session-store.ts';
import { mustSetUpNow } from '../policy/two-factor-rules.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { findSession } from '../auth/find-session.ts';
import { lookupTimes, parseAuthToken } from '../auth/session-rules.ts';
import { recordedClient, type AuditClient } from '../audit/audit-event.ts';
import { sha256Hex } from '../../crypto/hash.ts';

/**
 * The session behind a cookie value, or null. One statement: lookup, idle and absolute expiry,
 * the user's status, the user's authenticator, the asked-for throttle states, and the idle
 * refresh (SES-05, SES-06, SES-08); with `list`, the user's sessions too (My Profile → Sessions).
 */
export async function authenticate(
  deps: Deps,
  token: string | undefined,
  throttles?: { ipKey: ThrottleKey | null },
  list?: { sessions: number },
): Promise<ActiveSession | null> {
  const sessions = deps.stores.sessions;
  // With `list`, the same one lookup also reads the user's sessions (My Profile → Sessions).
  const store = list
    ? {
        ...sessions,
        findActive: (...args: Parameters<typeof sessions.findActive>) => sessions.findActive(args[0], args[1], args[2], args[3], list),
      }
    : sessions;
  const active = await findSession(deps, USER_PROFILE, store, token, throttles);
  return active && underCurrentPolicy(active, deps.clock.now());
}

/**
 * A full session (or one at the password change) of a user who could not get one now, because
 * the instance enforces 2FA setup and the user has no app, is at `setup`: it can set an app up
 * and do nothing else. Why here: every request's authorisation passes this one lookup, so a
 * policy change reaches live sessions at once, with no extra statement (OWASP ASVS 5.0 V8.3.1,
 * NIST SP 800-63B-4 §2.2.1: AAL2 needs a second factor, and the instance now requires AAL2).
 */
export function underCurrentPolicy(active: ActiveSession, now: Date): ActiveSession {
  const { session, instance, user, totp } = active;
  if (session.stage !== 'done' && session.stage !== 'change_password') return active;
  if (!mustSetUpNow(instance.policy, user, totp !== null, now)) return active;
  return { ...active, session: { ...session, stage: 'setup' }, heldFrom: session.stage };
}

/** Who asked for a logout: keyward's own page, or a relying party (RP-initiated logout, its client id). */
export type LogoutVia = { via: 'keyward' } | { via: 'application'; clientId: string; clientName: string | null };

/**
 * Ends the session behind a cookie value; unknown or malformed values are ignored. A live session
 * is recorded as `session.logged_out` by the statement that ends it (one statement, the request
 * budget of docs/performance.md), so the log shows when a user's sign-in ended and who asked
 * (OWASP ASVS 5.0 V16.3.1: authentication events, logouts among them; Keycloak's LOGOUT and
 * Okta's user.session.end). A cookie of no live session records nothing: nobody was signed in.
 */
export async function logout(
  deps: Deps,
  token: string | undefined,
  client: AuditClient,
  via: LogoutVia = { via: 'keyward' },
): Promise<void> {
  const parsed = parseAuthToken(USER_PROFILE, token);
  if (!parsed) return;
  const { now, idleCutoff } = lookupTimes(USER_PROFILE, deps.clock.now());
  const details = via.via === 'application' ? { via: via.via, clientId: via.clientId, client: via.clientName } : { via: via.via };
  await deps.stores.sessions.logOut(parsed.id, sha256Hex(parsed.secret), { at: now, idleCutoff, client: recordedClient(client), details });
}
