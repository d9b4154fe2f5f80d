import type { Deps } from '../shared/deps.ts';
import type { User } from '../account/user.ts';
import type { Instance } from '../instance/instance.ts';
import { lockNoticeMail } from '../mail/templates.ts';
import type { MailMessage } from '../mail/mail.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { SYSTEM_ACTOR, userEvent, type AuditClient, type NewAuditEvent } from '../audit/audit-event.ts';
import { ACCOUNT_POLICY, isNotableLock, type Factor } from './throttle.ts';

/** Whose attempt failed: who is told of a lock, and what the log records. */
export interface FailureOwner {
  to: { email: string; name: string };
  /** What the lock mail says is locked (an instance's name, or the support console). */
  placeName: string;
  instanceId: string | null;
  factor: Factor;
  failure: NewAuditEvent;
  /** The audit event of a lock this failure started. */
  locked(details: Record<string, unknown>): NewAuditEvent;
  /** A mail for the first failure in a row of this key (a wrong code after a correct password). */
  firstFailureMail?: MailMessage;
}

/** The owner of a user's failed attempt; a lock is logged with the system as actor. */
export function userOwner(user: User, instance: Instance, factor: Factor, failure: NewAuditEvent, client: AuditClient): FailureOwner {
  return {
    to: user,
    placeName: instance.name,
    instanceId: instance.id,
    factor,
    failure,
    locked: (details) => userEvent(failure.at, 'account.locked', instance.id, user, client, details, SYSTEM_ACTOR),
  };
}

/**
 * After a reserved attempt failed (the attempt is already counted on its key and on the client's
 * address): writes the failure to the log and, when the attempt started a lock (or reached the
 * hard limit), queues the owner's email (SPEC rule 11), all in one statement. For an unknown
 * account nobody is told, and the answer to the client is the same.
 */
export async function attemptFailed(deps: Deps, attempt: number, client: AuditClient, owner: FailureOwner | null): Promise<void> {
  const now = deps.clock.now();
  const locked = owner !== null && isNotableLock(attempt, ACCOUNT_POLICY);
  const permanent = attempt === ACCOUNT_POLICY.hardLimit;
  const audit = owner ? [owner.failure, ...(locked ? [owner.locked({ factor: owner.factor, failures: attempt, permanent })] : [])] : [];
  const mails =
    owner && locked
      ? [
          {
            instanceId: owner.instanceId,
            mail: sealMail(
              deps.secretBox,
              lockNoticeMail({
                to: owner.to.email,
                name: owner.to.name,
                instanceName: owner.placeName,
                factor: owner.factor,
                failures: attempt,
                at: now,
                ip: client.ip,
                permanent,
              }),
            ),
          },
        ]
      : [];
  // RL-10: a wrong code after a correct password means the password is probably known; the owner
  // hears of it once, at the first failure since their last success (OWASP MFA cheat sheet).
  if (owner?.firstFailureMail && attempt === 1)
    mails.push({ instanceId: owner.instanceId, mail: sealMail(deps.secretBox, owner.firstFailureMail) });
  await deps.stores.throttles.recordFailure([], now, audit, mails);
  if (mails.length > 0) deps.mailQueued();
}
