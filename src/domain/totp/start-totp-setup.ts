import type { Deps } from '../shared/deps.ts';
import type { AuditClient } from '../audit/audit-event.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { proveFactorChange, type FactorChangeProof } from './reauthenticate.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { pendingEnrolment, type TotpSetup } from '../auth/match-code.ts';

export type { TotpSetup };

/**
 * Starts enrolling an authenticator app: a fresh 160-bit secret, sealed and kept on this session
 * until confirmed (OTP-04); while one is pending, the same key again (a reload keeps it). Allowed from a login at `setup` (whose password was just typed in this
 * login) or from a full session with proof in the request: the current password to bind a first
 * app, the password and a current code from the app to replace it (SPEC rule 4, NIST SP
 * 800-63B-4 §4.1.2.1; issue 10 items 4 and 5). Never from a login at `verify`: otherwise a
 * password alone could enrol an attacker's app.
 */
export async function startTotpSetup(
  deps: Deps,
  sessionToken: string | undefined,
  proof: FactorChangeProof,
  client: AuditClient,
): Promise<TotpSetup> {
  const active = await loadSessionForStep(deps, sessionToken, ['setup', 'done'], client.ip);
  const { session, user, instance } = active;
  // A session held at setup by a policy change is no login whose password was just typed: a
  // stolen cookie of it must not bind an app either (issue 10 items 5 and 6 together).
  if (session.stage === 'done' || active.heldFrom) await proveFactorChange(deps, active, proof, client, 'set_up_app');
  const owner = { instanceId: instance.id, id: user.id, email: user.email };
  const keep = (candidate: { secretSealed: string; expiresAt: Date }, now: Date) =>
    deps.stores.sessions.keepPendingTotp(session.id, candidate, now);
  return pendingEnrolment(deps, USER_PROFILE, owner, keep, instance.name);
}
