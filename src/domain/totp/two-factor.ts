import { addSeconds } from '../shared/clock.ts';

/** How long a verified code counts as fresh for sensitive actions (SPEC rule 12: 10 minutes). */
export const STEP_UP_SECONDS = 10 * 60;
/** An enrolment must be confirmed within this time, from the session that started it (OTP-04). */
export const PENDING_SETUP_SECONDS = 15 * 60;
/** A login waiting at a second-factor step lives this long (MFA-02: pre-2FA state is short-lived). */
export const PENDING_LOGIN_SECONDS = 15 * 60;

/** The sealed secret is bound to its user: a copy on another row does not open (AES-GCM AAD). */
export function secretAssociatedData(instanceId: string, userId: string): string {
  return `totp:${instanceId}:${userId}`;
}

export function isFresh(secondFactorAt: Date | null, now: Date): boolean {
  return secondFactorAt !== null && secondFactorAt.getTime() > addSeconds(now, -STEP_UP_SECONDS).getTime();
}

