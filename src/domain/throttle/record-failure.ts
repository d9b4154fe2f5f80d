import type { Deps } from '../shared/deps.ts';
import type { User } from '../account/user.ts';
import type { Instance } from '../instance/instance.ts';
import { lockNoticeMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { SYSTEM_ACTOR, userEvent, type AuditClient, type NewAuditEvent } from '../audit/audit-event.ts';
import { ACCOUNT_POLICY, IP_POLICY, ipKey, isNotableLock, type Factor } from './throttle.ts';

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
 * After a reserved attempt failed: counts it against the client's IP too, and when the attempt
 * started a lock (or reached the hard limit) tells the account's owner by email (SPEC rule 11).
 * For an unknown account nobody is told, and the answer to the client is the same.
 */
export async function attemptFailed(deps: Deps, attempt: number, client: AuditClient, owner: FailureOwner | null): Promise<void> {
  const now = deps.clock.now();
  const ip = client.ip;
  const locked = owner !== null && isNotableLock(attempt, ACCOUNT_POLICY);
  const permanent = attempt === ACCOUNT_POLICY.hardLimit;
  // The failure (and a lock it starts) is logged in the statement that counts it against the IP.
  const audit = owner ? [owner.failure, ...(locked ? [owner.locked({ factor: owner.factor, failures: attempt, permanent })] : [])] : [];
  await deps.stores.throttles.recordFailure(ip ? [{ key: ipKey(ip), decaySeconds: IP_POLICY.decaySeconds }] : [], now, audit);
  if (!owner || !locked) return;
  const mail = lockNoticeMail({
    to: owner.to.email,
    name: owner.to.name,
    instanceName: owner.placeName,
    factor: owner.factor,
    failures: attempt,
    at: now,
    ip,
    permanent,
  });
  await deps.stores.outbox.enqueue(owner.instanceId, sealMail(deps.secretBox, mail), now);
  deps.mailQueued();
}
