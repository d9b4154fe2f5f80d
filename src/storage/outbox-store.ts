import { sql, type Kysely } from 'kysely';
import type { DevMailboxStore, OutboxMail, OutboxStore } from '../domain/mail/outbox-store.ts';
import type { SealedMail } from '../domain/mail/mail.ts';
import type { Database } from './schema.ts';

export function outboxStore(db: Kysely<Database>): OutboxStore {
  return {
    async enqueue(instanceId, mail, now) {
      await insertOutbox(instanceId, mail, now).execute(db);
    },
    async claimDue(now, leaseUntil, limit) {
      // Why SKIP LOCKED: concurrent workers each take different rows instead of waiting or
      // double-sending; an expired lease (a worker died mid-send) makes the row due again.
      const { rows } = await sql<{
        id: number;
        recipient: string;
        subject: string;
        text_body: string;
        html_body: string;
        attempts: number;
        created_at: Date;
        sealed: boolean;
      }>`
        update outbox set status = 'sending', claimed_until = ${leaseUntil}, attempts = attempts + 1
        where id in (
          select id from outbox
          where status in ('pending', 'sending') and next_attempt_at <= ${now}
            and (status = 'pending' or claimed_until < ${now})
          order by next_attempt_at, id
          limit ${limit}
          for update skip locked
        )
        returning id, recipient, subject, text_body, html_body, attempts, created_at, sealed`.execute(db);
      return rows.map((row): OutboxMail => ({
        id: Number(row.id),
        to: row.recipient,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
        sealed: row.sealed,
        attempts: row.attempts,
        createdAt: row.created_at,
      }));
    },
    async markSent(id, now) {
      await db
        .updateTable('outbox')
        .set({ status: 'sent', sent_at: now, claimed_until: null, last_error: null })
        .where('id', '=', id)
        .execute();
    },
    async markFailed(id, error, nextAttemptAt, dead) {
      await db
        .updateTable('outbox')
        .set({ status: dead ? 'dead' : 'pending', next_attempt_at: nextAttemptAt, claimed_until: null, last_error: error.slice(0, 1000) })
        .where('id', '=', id)
        .execute();
    },
  };
}

/**
 * `insert into outbox …` for a sealed mail; with `onlyIf` (a CTE name) only when that CTE returned
 * a row, so a mail is queued in the same statement as the change that causes it.
 */
export function insertOutbox(instanceId: string | null, mail: SealedMail, now: Date, onlyIf?: string) {
  const values = sql`${instanceId}::text, ${mail.to}, ${mail.subject}, ${mail.sealedText}, ${mail.sealedHtml}, true, ${now}::timestamptz, ${now}::timestamptz`;
  return sql`insert into outbox (instance_id, recipient, subject, text_body, html_body, sealed, next_attempt_at, created_at)
             ${onlyIf ? sql`select ${values} from ${sql.table(onlyIf)}` : sql`values (${values})`}`;
}

export function devMailboxStore(db: Kysely<Database>): DevMailboxStore {
  return {
    async deliver(outboxId, message, now) {
      await db
        .insertInto('dev_mailbox')
        .values({
          outbox_id: outboxId,
          recipient: message.to,
          subject: message.subject,
          text_body: message.text,
          html_body: message.html,
          sent_at: now,
        })
        .onConflict((oc) => oc.column('outbox_id').doNothing())
        .execute();
    },
    async list(limit) {
      const rows = await db.selectFrom('dev_mailbox').selectAll().orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => ({
        to: row.recipient,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
        sentAt: row.sent_at,
      }));
    },
  };
}
