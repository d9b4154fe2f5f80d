import { addSeconds } from '../shared/clock.ts';
import type { Session } from '../session/session.ts';
import { DomainError } from '../shared/errors.ts';

/** How long a verified code counts as fresh for sensitive actions (SPEC rule 12: 10 minutes). */
export const STEP_UP_SECONDS = 10 * 60;
/** An enrolment must be confirmed within this time, from the session that started it (OTP-04). */
export const PENDING_SETUP_SECONDS = 15 * 60;
/** A login waiting at a second-factor step lives this long (MFA-02: pre-2FA state is short-lived). */
export const PENDING_LOGIN_SECONDS = 15 * 60;

/** The answer to a backup code where only the app's code will do (a step-up, a factor change). */
export function refuseBackupCode(): DomainError {
  return new DomainError('totp_required', 'A backup code can log you in, but only a code from your authenticator app can confirm this.', { field: 'backupCode' });
}

/** The sealed secret is bound to its user: a copy on another row does not open (AES-GCM AAD). */
export function secretAssociatedData(instanceId: string, userId: string): string {
  return `totp:${instanceId}:${userId}`;
}

/**
 * The session verified a TOTP code in the last 10 minutes (SPEC rule 12). Why only TOTP: an
 * emailed backup code is a recovery secret that logs in and nothing more (SPEC rule 4, NIST SP
 * 800-63B-4 §4.1.2.1: sensitive changes need the strongest factor the account has); a password
 * and a mailbox must not open what the phone guards (issue 10 item 4).
 */
export function isFresh(session: Pick<Session, 'secondFactorAt' | 'secondFactorKind'>, now: Date): boolean {
  const at = session.secondFactorAt;
  return session.secondFactorKind === 'totp' && at !== null && at.getTime() > addSeconds(now, -STEP_UP_SECONDS).getTime();
}

