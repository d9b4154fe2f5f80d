import { groupKey, matchTotpStep, newTotpSecret, otpauthUri, toBase32 } from '../../crypto/totp.ts';
import { addSeconds } from '../shared/clock.ts';
import { DomainError, WRONG_CODE } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { PrincipalProfile } from './profile.ts';
import { instanceIssuer } from './issuer.ts';
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
  /** The issuer the app shows above the account ("Globex (keyward)"), also in the URI's label. */
  issuer: string;
}

/**
 * The issuer an authenticator app shows: a user's names their instance and the product, so two
 * instances' entries in one app can be told apart (issue 13); an operator's says support.
 */
export function issuerName(deps: Pick<Deps, 'totpIssuer'>, profile: PrincipalProfile, instanceName: string | null): string {
  return instanceName === null ? `${deps.totpIssuer}${profile.issuerSuffix}` : instanceIssuer(deps, instanceName);
}

/**
 * A candidate enrolment: a fresh 160-bit secret, sealed for its owner, to be kept on the session
 * that started it until confirmed there within 15 minutes (OTP-04). The store keeps it only when
 * the session holds no live one (see keepPendingTotp).
 */
export function newPendingEnrolment(deps: Pick<Deps, 'secretBox' | 'clock'>, profile: PrincipalProfile, owner: CodeOwner) {
  return {
    secretSealed: deps.secretBox.seal(newTotpSecret(), secretAssociatedData(profile, owner.instanceId, owner.id)),
    expiresAt: addSeconds(deps.clock.now(), PENDING_SETUP_SECONDS),
  };
}

/**
 * What the setup page shows for the session's pending enrolment: the key opened from its sealed
 * form (it is never stored in the clear), as text and as the otpauth URI.
 */
export function describeEnrolment(
  deps: Pick<Deps, 'secretBox' | 'totpIssuer'>,
  profile: PrincipalProfile,
  owner: CodeOwner,
  pending: { secretSealed: string },
  instanceName: string | null,
): TotpSetup {
  const secret = deps.secretBox.open(pending.secretSealed, secretAssociatedData(profile, owner.instanceId, owner.id));
  if (!secret) throw new Error('A pending enrolment that does not open with its owner');
  const base32 = toBase32(secret);
  const issuer = issuerName(deps, profile, instanceName);
  return { secret: base32, secretGrouped: groupKey(base32), otpauthUri: otpauthUri(secret, issuer, owner.email), issuer };
}

/**
 * The session's enrolment, started once: a reload or a second request while one is pending gets
 * the same key back (issue 13), and of two racing requests both get the one the store kept, so a
 * session never has two pending keys. A new key only once the pending one expired or was confirmed.
 */
export async function pendingEnrolment(
  deps: Pick<Deps, 'secretBox' | 'clock' | 'totpIssuer'>,
  profile: PrincipalProfile,
  owner: CodeOwner,
  keep: (candidate: { secretSealed: string; expiresAt: Date }, now: Date) => Promise<{ secretSealed: string } | null>,
  instanceName: string | null,
): Promise<TotpSetup> {
  const kept = await keep(newPendingEnrolment(deps, profile, owner), deps.clock.now());
  if (!kept) throw new DomainError('unauthenticated', 'Your sign-in has ended. Log in again.');
  return describeEnrolment(deps, profile, owner, kept, instanceName);
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
  if (step === null) throw new DomainError('invalid_credentials', WRONG_CODE, { field: 'code' });
  return { step, secretSealed: pending.secretSealed };
}
