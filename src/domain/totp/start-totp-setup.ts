import { groupKey, newTotpSecret, otpauthUri, toBase32 } from '../../crypto/totp.ts';
import { DomainError } from '../shared/errors.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import { authenticate } from '../session/authenticate.ts';
import { isFresh, PENDING_SETUP_SECONDS, secretAssociatedData } from './two-factor.ts';

export interface TotpSetup {
  /** Base32, as authenticator apps take it. */
  secret: string;
  /** The same key in groups of four, for typing. */
  secretGrouped: string;
  otpauthUri: string;
}

/**
 * Starts enrolling an authenticator app: a fresh 160-bit secret, sealed and kept on this session
 * until confirmed (OTP-04). Allowed from a full session or a login at `setup`, never from a login
 * at `verify`: otherwise a password alone could enrol an attacker's app. Replacing an existing
 * app needs a fresh code (OTP-13).
 */
export async function startTotpSetup(deps: Deps, sessionToken: string | undefined): Promise<TotpSetup> {
  const active = await authenticate(deps, sessionToken);
  if (!active) throw new DomainError('unauthenticated', 'Log in first.');
  const { session, user, instance } = active;
  if (session.stage !== 'setup' && session.stage !== 'done') {
    throw new DomainError('forbidden', 'Finish signing in before setting up an authenticator app.');
  }
  const now = deps.clock.now();
  if (session.stage === 'done' && active.totp && !isFresh(session.secondFactorAt, now)) {
    throw new DomainError('step_up_required', 'Confirm with a current code before replacing your authenticator app.');
  }
  const secret = newTotpSecret();
  await deps.stores.sessions.setPendingTotp(session.id, {
    secretSealed: deps.secretBox.seal(secret, secretAssociatedData(instance.id, user.id)),
    expiresAt: addSeconds(now, PENDING_SETUP_SECONDS),
  });
  const base32 = toBase32(secret);
  return { secret: base32, secretGrouped: groupKey(base32), otpauthUri: otpauthUri(secret, deps.totpIssuer, user.email) };
}
