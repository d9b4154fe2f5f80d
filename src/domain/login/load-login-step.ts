import type { Deps } from '../shared/deps.ts';
import type { LoginStage } from '../session/session.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { authenticate } from '../session/authenticate.ts';
import { ipKey } from '../throttle/throttle.ts';
import { requireStage } from '../auth/find-session.ts';

/**
 * The session of a step that checks a second factor, with the user's and the IP's throttle
 * states, in one statement. A session at another stage cannot call the step (MFA-01, SPEC rule
 * 12: a half-authenticated session can call only its next step).
 */
export async function loadSessionForStep(
  deps: Deps,
  token: string | undefined,
  stages: LoginStage[],
  ip: string | null,
): Promise<ActiveSession> {
  return requireStage(await authenticate(deps, token, { ipKey: ip ? ipKey(ip) : null }), stages);
}
