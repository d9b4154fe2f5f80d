import type { Kysely } from 'kysely';
import type { MailLogStore } from '../domain/mail/mail-log-store.ts';
import type { Database } from './schema.ts';

export function mailLogStore(db: Kysely<Database>, instanceId: string): MailLogStore {
  return {
    async list(status, limit) {
      let query = db
        .selectFrom('outbox')
        .select(['id', 'recipient', 'subject', 'status', 'attempts', 'last_error', 'created_at', 'sent_at'])
        .where('instance_id', '=', instanceId);
      if (status) query = query.where('status', '=', status);
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => ({
        id: Number(row.id),
        to: row.recipient,
        subject: row.subject,
        status: row.status,
        attempts: row.attempts,
        lastError: row.last_error,
        createdAt: row.created_at,
        sentAt: row.sent_at,
      }));
    },
    async retry(id, now) {
      const result = await db
        .updateTable('outbox')
        .set({ status: 'pending', next_attempt_at: now, claimed_until: null })
        .where('instance_id', '=', instanceId)
        .where('id', '=', id)
        .where('status', '=', 'dead')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
