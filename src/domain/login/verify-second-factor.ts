import type { Deps } from '../shared/deps.ts';
import type { ClientInfo } from '../session/start-session.ts';
import { newSession } from '../session/start-session.ts';
import { checkTotpCode, codeRefused } from '../totp/check-code.ts';
import { issueKnownLocation, type IssuedDevice } from '../known-location/issue-known-location.ts';
import { secondFactorKey } from '../throttle/throttle.ts';
import { loadSessionForStep } from './load-login-step.ts';
import type { LoginStep } from './login-step.ts';

/**
 * Login step 2 from a new location: a TOTP code. One lookup, and on success one statement that
 * consumes the code's time step, swaps the session for a full one, clears the second-factor
 * counter and makes this browser a known location.
 */
export async function verifySecondFactor(
  deps: Deps,
  sessionToken: string | undefined,
  code: string,
  client: ClientInfo,
): Promise<{ step: LoginStep; sessionToken: string; device: IssuedDevice | null }> {
  const active = await loadSessionForStep(deps, sessionToken, ['verify'], client.ip);
  const step = await checkTotpCode(deps, active, code, client.ip);
  const now = deps.clock.now();
  const next = newSession(deps, active.user.id, 'done', client, now);
  const device = issueKnownLocation(deps, active.instance, client);
  const consumed = await deps.stores.forInstance(active.instance.id).twoFactor.consumeStep(active.user.id, step, {
    swap: { previousSessionId: active.session.id, next: next.row },
    clearKeys: [secondFactorKey(active.user.id)],
    location: device?.row ?? null,
    now,
  });
  // Another request used this step between our check and our update: a replay, refused like any.
  if (!consumed) await codeRefused(deps, active, client.ip);
  return { step: { next: 'done' }, sessionToken: next.token, device };
}
