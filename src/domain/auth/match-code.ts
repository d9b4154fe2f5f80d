import { groupKey, matchTotpStep, newTotpSecret, otpauthUri, toBase32 } from '../../crypto/totp.ts';
import { addSeconds } from '../shared/clock.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { PrincipalProfile } from './profile.ts';
import { isReplayedStep, PENDING_SETUP_SECONDS, secretAssociatedData } from './session-rules.ts';

/** Whose TOTP secret is used: the principal, and for a user the instance that scopes it. */
export interface CodeOwner {
  instanceId: string | null;
  id: string;
  email: string;
}

/**
 * A code that matched: its step, and the sealed secret it was checked against. The store accepts
 * the step only while that secret is still the principal's app, so a code of an app replaced (or
 * reset) since the lookup is never accepted (SES-07).
 */
export interface MatchedCode {
  step: number;
  secretSealed: string;
}

/** A code's verdict: the step it matched, or why it is refused (a wrong code, or a replay). */
export type CodeMatch = MatchedCode | { step: null; replayed: boolean };

/**
 * Checks a TOTP code against the principal's confirmed app: the sealed secret opens only with the
 * owner's associated data, the code matches a step of the drift window, and a step already used is
 * a replay (RFC 6238 §5.2). The step must then be consumed by one conditional UPDATE, on the same
 * sealed secret.
 */
export function matchCode(
  deps: Pick<Deps, 'secretBox' | 'clock'>,
  profile: PrincipalProfile,
  owner: CodeOwner,
  totp: { secretSealed: string; lastUsedStep: number } | null,
  code: string,
): CodeMatch {
  const secret = totp ? deps.secretBox.open(totp.secretSealed, secretAssociatedData(profile, owner.instanceId, owner.id)) : null;
  const step = secret ? matchTotpStep(secret, code, deps.clock.now()) : null;
  if (step === null) return { step: null, replayed: false };
  return isReplayedStep(step, totp!.lastUsedStep) ? { step: null, replayed: true } : { step, secretSealed: totp!.secretSealed };
}

export interface TotpSetup {
  /** Base32, as authenticator apps take it. */
  secret: string;
  /** The same key in groups of four, for typing. */
  secretGrouped: string;
  otpauthUri: string;
}

/**
 * A new enrolment: a fresh 160-bit secret, sealed for its owner, to be kept on the session that
 * started it until confirmed there within 15 minutes (OTP-04).
 */
export function newEnrolment(deps: Pick<Deps, 'secretBox' | 'clock' | 'totpIssuer'>, profile: PrincipalProfile, owner: CodeOwner) {
  const secret = newTotpSecret();
  const pending = {
    secretSealed: deps.secretBox.seal(secret, secretAssociatedData(profile, owner.instanceId, owner.id)),
    expiresAt: addSeconds(deps.clock.now(), PENDING_SETUP_SECONDS),
  };
  const base32 = toBase32(secret);
  const setup: TotpSetup = {
    secret: base32,
    secretGrouped: groupKey(base32),
    otpauthUri: otpauthUri(secret, `${deps.totpIssuer}${profile.issuerSuffix}`, owner.email),
  };
  return { pending, setup };
}

/**
 * The step of a code that confirms the session's pending enrolment (proof of possession), or a
 * refusal: none waiting (or expired) is a conflict, a wrong code invalid. The caller's store then
 * binds the app only while that session is still alive (enrolment is gated on it, for every principal).
 */
export function matchEnrolmentCode(
  deps: Pick<Deps, 'secretBox' | 'clock'>,
  profile: PrincipalProfile,
  owner: CodeOwner,
  pending: { secretSealed: string; expiresAt: Date } | null,
  code: string,
): { step: number; secretSealed: string } {
  const now = deps.clock.now();
  if (!pending || pending.expiresAt.getTime() <= now.getTime()) {
    throw new DomainError('conflict', 'Start the setup again: no setup is waiting for confirmation.', { field: 'code' });
  }
  const secret = deps.secretBox.open(pending.secretSealed, secretAssociatedData(profile, owner.instanceId, owner.id));
  const step = secret ? matchTotpStep(secret, code, now) : null;
  if (step === null)
    throw new DomainError('invalid_credentials', 'That code does not match. Enter the current code from your app.', { field: 'code' });
  return { step, secretSealed: pending.secretSealed };
}
