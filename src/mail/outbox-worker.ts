/**
 * Drains the outbox: claims due mail, sends it, marks it sent, and on failure retries with
 * exponential backoff until the mail is `dead` (kept for admins to see). Several workers may run
 * against one database: claims never overlap.
 */
import { DomainError } from '../domain/shared/errors.ts';
import type { Logger } from 'pino';
import type { OutboxMail, OutboxStore } from '../domain/mail/outbox-store.ts';
import { OUTBOX_ASSOCIATED_DATA, type MailMessage } from '../domain/mail/mail.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { addSeconds, type Clock } from '../domain/shared/clock.ts';
import type { MailTransport } from './transport.ts';
import { backoffSeconds, drainLoop } from '../domain/shared/drain-loop.ts';

export interface OutboxWorkerOptions {
  pollSeconds?: number;
  batchSize?: number;
  leaseSeconds?: number;
  /** A mail still failing this long after it was queued is given up (`dead`). */
  giveUpAfterSeconds?: number;
  maxBackoffSeconds?: number;
  /**
   * Work that queues mail, run at the start of every drain (the "forgot password" queue): on the
   * worker's schedule, never on a request's path.
   */
  jobs?: Array<() => Promise<unknown>>;
  /** A wake (mail just queued) drains after this long, for the mail queued meanwhile too. Default 100 ms. */
  wakeDelayMs?: number;
}

export interface OutboxWorker {
  /** Asks for a drain soon (after a transaction queued mail). */
  wake(): void;
  /** Drains until nothing is due; returns how many mails were sent. */
  drain(): Promise<number>;
  /**
   * One pass that tries at most `limit` due mails (sent or failed), oldest first, without the
   * drain's jobs; `more` when it stopped at the limit and mail still waits. For a command that
   * delivers due mail before it exits (the CLI).
   */
  sendSome(limit: number): Promise<{ sent: number; more: boolean }>;
  start(): void;
  /**
   * For good: the batch being sent finishes, and the transport closes (its pooled SMTP
   * connections with it, or they would keep the process alive). start() afterwards throws.
   */
  stop(): Promise<void>;
}

function openMail(box: SecretBox, mail: OutboxMail): MailMessage | null {
  if (!mail.sealed) return mail;
  const text = box.open(mail.text, OUTBOX_ASSOCIATED_DATA);
  const html = box.open(mail.html, OUTBOX_ASSOCIATED_DATA);
  return text && html ? { to: mail.to, subject: mail.subject, text: text.toString('utf8'), html: html.toString('utf8') } : null;
}

export { backoffSeconds };

/** How long the worker waits between attempts to record a sent mail while the database is away. */
const RECORD_RETRY_MS = 500;

export function createOutboxWorker(
  outbox: OutboxStore,
  transport: MailTransport,
  box: SecretBox,
  clock: Clock,
  log: Logger,
  options: OutboxWorkerOptions = {},
): OutboxWorker {
  const pollMs = (options.pollSeconds ?? 5) * 1000;
  const batchSize = options.batchSize ?? 10;
  const leaseSeconds = options.leaseSeconds ?? 120;
  const giveUpAfterSeconds = options.giveUpAfterSeconds ?? 3 * 24 * 60 * 60;
  const maxBackoffSeconds = options.maxBackoffSeconds ?? 15 * 60;

  // Set by stop(), for good: the batch being sent finishes, no further batch is claimed (the
  // graceful drain of SPEC §8; what is left stays due for the other processes).
  let stopped = false;

  /** Sends due mail until none is left or `limit` were tried; `more` when the limit ended it. */
  async function sendDue(limit: number): Promise<{ sent: number; more: boolean }> {
    let sent = 0;
    let tried = 0;
    for (;;) {
      if (stopped) return { sent, more: false };
      // At the limit: `more` only when mail still waits (an import of exactly `limit` users has none left).
      if (tried >= limit) return { sent, more: (await outbox.stats()).pending > 0 };
      const now = clock.now();
      const claim = Math.min(batchSize, limit - tried);
      const batch = await outbox.claimDue(now, addSeconds(now, leaseSeconds), claim);
      tried += batch.length;
      // Wall time, not the clock's: how long this worker may go on retrying (recordSent).
      const leaseEnds = performance.now() + leaseSeconds * 1000;
      if (batch.length === 0) return { sent, more: false };
      for (const mail of batch) {
        const message = openMail(box, mail);
        if (!message) {
          // Sealed with a key this process does not have: retrying cannot help.
          await outbox.markFailed(mail.id, 'cannot open the sealed body: key not configured', clock.now(), true);
          log.error({ outboxId: mail.id }, 'mail sealed with an unknown key; marked dead');
          continue;
        }
        try {
          await transport.send(mail.id, message);
        } catch (error) {
          const failedAt = clock.now();
          const dead = failedAt.getTime() - mail.createdAt.getTime() >= giveUpAfterSeconds * 1000;
          const retryAt = addSeconds(failedAt, backoffSeconds(mail.attempts, maxBackoffSeconds));
          await outbox.markFailed(mail.id, String((error as Error)?.message ?? error), retryAt, dead);
          log.warn({ outboxId: mail.id, attempts: mail.attempts, dead, err: (error as Error)?.message }, 'mail delivery failed');
          continue;
        }
        await recordSent(mail.id, leaseEnds);
        sent += 1;
      }
      // Why a short batch ends the pass: it held everything due when it was claimed (what another
      // worker holds is skipped, and that worker sends it), so claiming again only ran an empty
      // claim, one statement of every drain (issue 16: under load, a drain sends one to a few
      // mails). Mail queued meanwhile comes with a wake, which the drain loop turns into one more
      // pass; mail that becomes due later waits for the poll, as it did after an empty claim.
      if (batch.length < claim) return { sent, more: false };
    }
  }

  async function drainOnce(): Promise<number> {
    for (const job of options.jobs ?? []) await job();
    return (await sendDue(Infinity)).sent;
  }

  /**
   * The SMTP server has accepted the mail: that must be recorded, or the mail goes out again when
   * its lease ends. Why retried: when the database is away for a moment (PostgreSQL restarting,
   * issue 15) a single failed update would have sent the mail twice. Retried while the lease
   * holds (no other worker claims it meanwhile); after that the drain fails and the mail is sent
   * again, with the same Message-ID (docs/backup-codes.md, "The outbox").
   */
  async function recordSent(id: number, leaseEnds: number): Promise<void> {
    for (;;) {
      try {
        await outbox.markSent(id, clock.now());
        return;
      } catch (error) {
        if (performance.now() + RECORD_RETRY_MS * 2 >= leaseEnds) throw error;
        log.warn({ outboxId: id, err: (error as Error)?.message }, 'recording a sent mail failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS));
      }
    }
  }

  // The database away (a restart, a failover) is expected and passes by itself: a warning, as
  // for requests (docs/operations.md, "When PostgreSQL restarts"); anything else is an error.
  const loop = drainLoop(
    drainOnce,
    pollMs,
    (error: unknown) =>
      error instanceof DomainError && error.code === 'service_unavailable'
        ? log.warn({ err: error.cause ?? error }, 'outbox drain failed: database unavailable')
        : log.error({ err: error }, 'outbox drain failed'),
    options.wakeDelayMs ?? 100,
  );
  return {
    ...loop,
    sendSome: (limit) => sendDue(limit),
    start() {
      // Why refused: a closed pooled transport fails every send ("Connection pool was closed"),
      // so a restarted worker would mark each due mail failed until it went dead.
      if (stopped) throw new Error('the outbox worker was stopped for good: make a new one');
      loop.start();
    },
    async stop() {
      stopped = true;
      await loop.stop();
      transport.close();
    },
  };
}
