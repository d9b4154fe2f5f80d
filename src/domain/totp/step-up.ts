import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { newSession, type ClientInfo } from '../session/start-session.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { checkTotpCode, codeRefused } from './check-code.ts';
import { secondFactorKey } from '../throttle/throttle.ts';

/**
 * Step-up (SPEC rule 12): a full session passes a fresh code and counts as verified for 10
 * minutes. The session id changes (SES-03), and the code's step is used up like any other.
 */
export async function stepUp(deps: Deps, sessionToken: string | undefined, code: string, client: ClientInfo): Promise<string> {
  const active = await loadSessionForStep(deps, sessionToken, ['done'], client.ip);
  if (!active.totp) throw new DomainError('forbidden', 'Set up an authenticator app first.');
  const step = await checkTotpCode(deps, active, code, client.ip);
  const now = deps.clock.now();
  const next = newSession(deps, active.user.id, 'done', client, now);
  // A full session keeps its absolute end: stepping up re-proves a factor, not a new login.
  next.row.expiresAt = new Date(Math.min(next.row.expiresAt.getTime(), active.session.expiresAt.getTime()));
  const consumed = await deps.stores.forInstance(active.instance.id).twoFactor.consumeStep(active.user.id, step, {
    swap: { previousSessionId: active.session.id, next: next.row },
    clearKeys: [secondFactorKey(active.user.id)],
    now,
  });
  if (!consumed) await codeRefused(deps, active, client.ip);
  return next.token;
}
