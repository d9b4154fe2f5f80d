import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { newSession, type ClientInfo, type IssuedToken } from '../session/start-session.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { userEvent } from '../audit/audit-event.ts';
import { checkSecondFactor, consumeSecondFactor, type SecondFactorInput } from './check-code.ts';
import { refuseBackupCode } from './two-factor.ts';

/**
 * Step-up (SPEC rule 12): a full session passes a fresh code from the app and counts as verified
 * for 10 minutes. The session id changes (SES-03), and the code is used up like any other.
 */
export async function stepUp(
  deps: Deps,
  sessionToken: string | undefined,
  input: SecondFactorInput,
  client: ClientInfo,
): Promise<IssuedToken> {
  const active = await loadSessionForStep(deps, sessionToken, ['done'], client.ip);
  if (!active.totp) throw new DomainError('forbidden', 'Set up an authenticator app first.');
  // Why a backup code is refused here, unread and unspent: it is a recovery secret that logs in
  // and nothing more (SPEC rule 4); a step-up with it would make the mailbox as good as the phone
  // for every sensitive action (NIST SP 800-63B-4 §4.1.2.1, issue 10 item 4). The body shape stays
  // accepted (SPEC §3); the answer is a clear 403.
  if ('backupCode' in input) throw refuseBackupCode();
  const checked = await checkSecondFactor(deps, active, input, client, 'step_up');
  const now = deps.clock.now();
  // A full session keeps its absolute end: stepping up re-proves a factor, it is not a new login.
  const next = newSession(deps, active.user.id, 'done', client, now, 'totp', active.session.expiresAt);
  // ...and its start: the login's time is what `auth_time` and `max_age` speak of (OIDC Core
  // §2), and a code alone is no new login (docs/oidc.md).
  next.row.createdAt = active.session.createdAt;
  const audit = [userEvent(now, 'step_up.succeeded', active.instance.id, active.user, client, { factor: checked.kind })];
  await consumeSecondFactor(deps, active, checked, { swap: { previousSessionId: active.session.id, next: next.row }, audit }, client);
  return { token: next.token, expiresAt: next.row.expiresAt };
}
