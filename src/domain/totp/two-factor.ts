import type { Session } from '../session/session.ts';
import { DomainError } from '../shared/errors.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import { secretAssociatedData as sealedFor, stepUpUntil } from '../auth/session-rules.ts';

/** The answer to a backup code where only the app's code will do (a step-up, a factor change). */
export function refuseBackupCode(): DomainError {
  return new DomainError('totp_required', 'A backup code can log you in, but only a code from your authenticator app can confirm this.', {
    field: 'backupCode',
  });
}

/** The sealed secret is bound to its user: a copy on another row does not open (AES-GCM AAD). */
export function secretAssociatedData(instanceId: string, userId: string): string {
  return sealedFor(USER_PROFILE, instanceId, userId);
}

/** The session verified a TOTP code in the last 10 minutes (SPEC rule 12): the kernel's one step-up rule. */
export function isFresh(session: Pick<Session, 'secondFactorAt' | 'secondFactorKind'>, now: Date): boolean {
  return stepUpUntil(USER_PROFILE, session, now) !== null;
}
