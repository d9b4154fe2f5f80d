import { newIdSecretToken, parseIdSecretToken } from '../../crypto/token.ts';
import { addSeconds } from '../shared/clock.ts';
import type { PrincipalProfile } from './profile.ts';

/** last_seen_at is written at most this often, so most authenticated requests only read. */
export const SESSION_TOUCH_SECONDS = 60;
/** An enrolment must be confirmed within this time, from the session that started it (OTP-04). */
export const PENDING_SETUP_SECONDS = 15 * 60;

/** A new session token of the profile's kind: `prefix` + `id.secret`, only SHA-256(secret) stored. */
export function newAuthToken(profile: PrincipalProfile): { id: string; token: string; secretHash: string } {
  const token = newIdSecretToken();
  return { id: token.id, token: `${profile.tokenPrefix}${token.token}`, secretHash: token.secretHash };
}

/** Whether a cookie value is a token of this profile's kind (operators' carry their prefix). */
export function isTokenOf(profile: PrincipalProfile, value: string | undefined): boolean {
  // A user's token has no prefix: an operator's `op.…` value never parses as one (token.ts).
  return value !== undefined && value.startsWith(profile.tokenPrefix);
}

/** The token's parts, or null for anything this profile could not have issued. */
export function parseAuthToken(profile: PrincipalProfile, value: string | undefined): { id: string; secret: string } | null {
  return isTokenOf(profile, value) ? parseIdSecretToken(value!.slice(profile.tokenPrefix.length)) : null;
}

/** How long a new session at `stage` lives: a full one the profile's full lifetime, a login waiting at a step its pending one. */
export function sessionLifetimeSeconds(profile: PrincipalProfile, stage: string): number {
  return stage === 'done' ? profile.fullSeconds : profile.pendingSeconds;
}

/**
 * When a new session at `stage` ends. `keepEnd`: a step-up's session keeps the absolute end of
 * the one it replaces, for both principals: stepping up re-proves a factor, it is not a new login.
 */
export function sessionEndsAt(profile: PrincipalProfile, stage: string, now: Date, keepEnd?: Date): Date {
  const end = addSeconds(now, sessionLifetimeSeconds(profile, stage));
  return keepEnd && keepEnd.getTime() < end.getTime() ? keepEnd : end;
}

/** The lookup's instants: the session is alive after `idleCutoff` and refreshed when seen before `touchBefore`. */
export function lookupTimes(profile: PrincipalProfile, now: Date) {
  return { now, idleCutoff: addSeconds(now, -profile.idleSeconds), touchBefore: addSeconds(now, -SESSION_TOUCH_SECONDS) };
}

/**
 * The one step-up rule (SPEC rule 12), for users and operators alike: a session counts as freshly
 * verified until `stepUpSeconds` (at most the profile's 10 minutes; shorter when configured) after
 * its last TOTP code, strictly before that instant. Why only TOTP: an emailed backup code is a
 * recovery secret that logs in and nothing more (SPEC rule 4, NIST SP 800-63B-4 §4.1.2.1); a
 * password and a mailbox must not open what the phone guards (issue 10 item 4). null: not fresh.
 */
export function stepUpUntil(
  profile: PrincipalProfile,
  session: { secondFactorAt: Date | null; secondFactorKind: 'totp' | 'backup_code' | null },
  now: Date,
  configuredSeconds?: number,
): Date | null {
  const at = session.secondFactorAt;
  if (!at || session.secondFactorKind !== 'totp') return null;
  const until = addSeconds(at, Math.min(configuredSeconds ?? profile.stepUpSeconds, profile.stepUpSeconds));
  return until.getTime() > now.getTime() ? until : null;
}

/**
 * The one replay predicate (RFC 6238 §5.2: a verifier accepts a time step once): a step not newer
 * than the last one used is a replay. The stores' conditional UPDATE uses the same comparison
 * (`last_used_step < step`), so the check and the write can never disagree.
 */
export function isReplayedStep(step: number, lastUsedStep: number): boolean {
  return step <= lastUsedStep;
}

/** The sealed TOTP secret is bound to its principal: `totp:<scope>:<id>` as AES-GCM associated data. */
export function secretAssociatedData(profile: PrincipalProfile, instanceId: string | null, principalId: string): string {
  return `totp:${profile.secretScope === 'instance' ? instanceId : 'operator'}:${principalId}`;
}
