import { constantTimeEqual, sha256Hex } from '../../crypto/hash.ts';
import type { Deps } from '../shared/deps.ts';
import { addSeconds } from '../shared/clock.ts';
import type { ActiveSession } from './session-store.ts';
import { parseSessionToken, SESSION_IDLE_SECONDS, SESSION_TOUCH_SECONDS } from './session.ts';

/**
 * The session behind a cookie value, or null. One statement: lookup, idle and absolute expiry,
 * the user's status, the user's authenticator, the asked-for throttle states, and the idle
 * refresh (SES-05, SES-06, SES-08); with `list`, the user's sessions too (My Profile → Sessions).
 */
export async function authenticate(
  deps: Deps,
  token: string | undefined,
  throttles?: { ipKey: string | null },
  list?: { sessions: number },
): Promise<ActiveSession | null> {
  const parsed = parseSessionToken(token);
  if (!parsed) return null;
  const now = deps.clock.now();
  const secretHash = sha256Hex(parsed.secret);
  const active = await deps.stores.sessions.findActive(
    parsed.id,
    secretHash,
    { now, idleCutoff: addSeconds(now, -SESSION_IDLE_SECONDS), touchBefore: addSeconds(now, -SESSION_TOUCH_SECONDS) },
    throttles,
    list,
  );
  if (!active || !constantTimeEqual(secretHash, active.secretHash)) return null;
  return active;
}

/** Ends the session behind a cookie value; unknown or malformed values are ignored. */
export async function logout(deps: Deps, token: string | undefined): Promise<void> {
  const parsed = parseSessionToken(token);
  if (parsed) await deps.stores.sessions.delete(parsed.id, sha256Hex(parsed.secret));
}
