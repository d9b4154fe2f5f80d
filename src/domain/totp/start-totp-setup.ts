import { groupKey, newTotpSecret, otpauthUri, toBase32 } from '../../crypto/totp.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import type { AuditClient } from '../audit/audit-event.ts';
import { loadSessionForStep } from '../login/load-login-step.ts';
import { PENDING_SETUP_SECONDS, secretAssociatedData } from './two-factor.ts';
import { proveFactorChange, type FactorChangeProof } from './reauthenticate.ts';

export interface TotpSetup {
  /** Base32, as authenticator apps take it. */
  secret: string;
  /** The same key in groups of four, for typing. */
  secretGrouped: string;
  otpauthUri: string;
}

/**
 * Starts enrolling an authenticator app: a fresh 160-bit secret, sealed and kept on this session
 * until confirmed (OTP-04). Allowed from a login at `setup` (whose password was just typed in this
 * login) or from a full session with proof in the request: the current password to bind a first
 * app, the password and a current code from the app to replace it (SPEC rule 4, NIST SP
 * 800-63B-4 §4.1.2.1; issue 10 items 4 and 5). Never from a login at `verify`: otherwise a
 * password alone could enrol an attacker's app.
 */
export async function startTotpSetup(deps: Deps, sessionToken: string | undefined, proof: FactorChangeProof, client: AuditClient): Promise<TotpSetup> {
  const active = await loadSessionForStep(deps, sessionToken, ['setup', 'done'], client.ip);
  const { session, user, instance } = active;
  // A session held at setup by a policy change is no login whose password was just typed: a
  // stolen cookie of it must not bind an app either (issue 10 items 5 and 6 together).
  if (session.stage === 'done' || active.heldFrom) await proveFactorChange(deps, active, proof, client, 'set_up_app');
  const now = deps.clock.now();
  const secret = newTotpSecret();
  await deps.stores.sessions.setPendingTotp(session.id, {
    secretSealed: deps.secretBox.seal(secret, secretAssociatedData(instance.id, user.id)),
    expiresAt: addSeconds(now, PENDING_SETUP_SECONDS),
  });
  const base32 = toBase32(secret);
  return { secret: base32, secretGrouped: groupKey(base32), otpauthUri: otpauthUri(secret, deps.totpIssuer, user.email) };
}
