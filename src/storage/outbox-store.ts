import { sql, type Insertable, type Kysely, type QueryCreator } from 'kysely';
import type { DevMailboxStore, OutboxMail, OutboxStore } from '../domain/mail/outbox-store.ts';
import type { SealedMail } from '../domain/mail/mail.ts';
import type { Database, DevMailboxTable, OutboxTable } from './schema.ts';
import { insertRows, type Cte } from './cte.ts';
import { prepared } from './prepared.ts';
import { wellFormed } from './rows.ts';

/**
 * The two statements every sent mail runs (its row marked sent; in the dev mailbox, the copy kept),
 * prepared (prepared.ts): a TOTP login queues a new-location notice, so under load these run
 * once per login, and Kysely built and compiled them each time (perf over the HTTP bench, issue 16).
 */
const markOneSent = prepared((db, p: { id: number; now: Date }) =>
  db.updateTable('outbox').set({ status: 'sent', sent_at: p.now, claimed_until: null, last_error: null }).where('id', '=', p.id),
);
const keepInDevMailbox = prepared((db, p: { row: Insertable<DevMailboxTable> }) =>
  db
    .insertInto('dev_mailbox')
    .values(p.row)
    .onConflict((oc) => oc.column('outbox_id').doNothing()),
);

export function outboxStore(db: Kysely<Database>): OutboxStore {
  return {
    async enqueue(instanceId, mail, now) {
      await insertOutbox(db, [outboxRow(instanceId, mail, now)], null).execute();
    },
    async enqueueMany(instanceId, mails, now) {
      // Why one statement: a user import queues one mail per user, and a statement each was most
      // of an import's time without passwords (issue 16).
      // The mails as one JSON parameter, as users.insertMissing: a batch of 500 was 4,000.
      if (mails.length === 0) return;
      const rows = JSON.stringify(
        mails.map((mail) => ({
          recipient: wellFormed(mail.to),
          subject: wellFormed(mail.subject),
          text_body: mail.sealedText,
          html_body: mail.sealedHtml,
        })),
      );
      await sql`
        insert into outbox (instance_id, recipient, subject, text_body, html_body, sealed, next_attempt_at, created_at)
        select ${instanceId}::text, r.recipient, r.subject, r.text_body, r.html_body, true, ${now}::timestamptz, ${now}::timestamptz
        from json_to_recordset(${rows}::json) as r (recipient text, subject text, text_body text, html_body text)`.execute(db);
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
      await markOneSent.execute(db, { id, now });
    },
    async markFailed(id, error, nextAttemptAt, dead) {
      await db
        .updateTable('outbox')
        .set({ status: dead ? 'dead' : 'pending', next_attempt_at: nextAttemptAt, claimed_until: null, last_error: error.slice(0, 1000) })
        .where('id', '=', id)
        .execute();
    },
    async stats() {
      // Both counts on partial indexes (outbox_due_idx, outbox_dead_idx): a scrape reads the
      // mail that waits, never the sent mail kept until housekeeping prunes it.
      const { rows } = await sql<{ pending: string; oldest: Date | null; dead: string }>`
        select
          (select count(*) from outbox where status in ('pending', 'sending')) as pending,
          (select min(created_at) from outbox where status in ('pending', 'sending')) as oldest,
          (select count(*) from outbox where status = 'dead') as dead`.execute(db);
      const row = rows[0]!;
      return { pending: Number(row.pending), oldestPendingAt: row.oldest ? new Date(row.oldest) : null, dead: Number(row.dead) };
    },
  };
}

/** A sealed mail as its outbox row (schema.ts), due at once. */
export function outboxRow(instanceId: string | null, mail: SealedMail, now: Date): Insertable<OutboxTable> {
  return {
    instance_id: instanceId,
    recipient: mail.to,
    subject: mail.subject,
    text_body: mail.sealedText,
    html_body: mail.sealedHtml,
    sealed: true,
    next_attempt_at: now,
    created_at: now,
  };
}

/**
 * `insert into outbox …` of mails (outboxRow) for a CTE of the statement that causes them, so a
 * mail is queued exactly when its change happens; with `gate`, only when the gate returned a row.
 */
export function insertOutbox(qb: QueryCreator<Database>, rows: readonly Insertable<OutboxTable>[], gate: Cte | null) {
  return insertRows(qb, 'outbox', rows, gate, { sealed: 'boolean', next_attempt_at: 'timestamptz', created_at: 'timestamptz' });
}

export function devMailboxStore(db: Kysely<Database>): DevMailboxStore {
  return {
    async deliver(outboxId, message, now) {
      await keepInDevMailbox.execute(db, {
        row: {
          outbox_id: outboxId,
          recipient: message.to,
          subject: message.subject,
          text_body: message.text,
          html_body: message.html,
          sent_at: now,
        },
      });
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
