import type { MailMessage, SealedMail } from './mail.ts';

/** A claimed mail; its bodies are sealed unless `sealed` is false (mail queued before sealing). */
export interface OutboxMail extends MailMessage {
  id: number;
  sealed: boolean;
  attempts: number;
  createdAt: Date;
}

/**
 * The transactional outbox: mail is written in the same transaction as the action that causes
 * it, so a committed action always has its mail, and a rolled-back one never does.
 */
export interface OutboxStore {
  enqueue(instanceId: string | null, mail: SealedMail, now: Date): Promise<void>;
  /** As enqueue for any number of mails of one instance, in one statement (none: no statement). */
  enqueueMany(instanceId: string | null, mails: readonly SealedMail[], now: Date): Promise<void>;
  /**
   * Claims up to `limit` due mails in one statement (FOR UPDATE SKIP LOCKED), leasing them until
   * `leaseUntil`: several workers never claim the same mail, and a crashed worker's lease expires.
   */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxMail[]>;
  markSent(id: number, now: Date): Promise<void>;
  /** Back to pending at `nextAttemptAt`, or `dead` when `dead` is true. */
  markFailed(id: number, error: string, nextAttemptAt: Date, dead: boolean): Promise<void>;
  /** Mail waiting to go (pending or being sent), the oldest one's creation, and mail given up on: one statement, for /metrics. */
  stats(): Promise<OutboxStats>;
}

export interface OutboxStats {
  pending: number;
  oldestPendingAt: Date | null;
  dead: number;
}

export interface DevMailboxMessage extends MailMessage {
  sentAt: Date;
}

/** The dev mailbox: where mail goes when no SMTP server is configured. */
export interface DevMailboxStore {
  /** Idempotent per outbox id: a redelivery after a crash does not show the mail twice. */
  deliver(outboxId: number, message: MailMessage, now: Date): Promise<void>;
  /** Newest first. */
  list(limit: number): Promise<DevMailboxMessage[]>;
}
