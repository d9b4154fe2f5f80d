import type { Kysely } from 'kysely';
import type { ResetRequestStore } from '../domain/account/reset-request-store.ts';
import type { Database } from './schema.ts';

export function resetRequestStore(db: Kysely<Database>): ResetRequestStore {
  return {
    async insert(request) {
      await db
        .insertInto('password_reset_requests')
        .values({ instance_slug: request.instanceSlug, email_key: request.emailKey, requested_at: request.requestedAt })
        .execute();
    },
    async claim(limit) {
      const rows = await db.selectFrom('password_reset_requests').selectAll().orderBy('id').limit(limit).forUpdate().skipLocked().execute();
      return rows.map((row) => ({
        id: Number(row.id),
        instanceSlug: row.instance_slug,
        emailKey: row.email_key,
        requestedAt: row.requested_at,
      }));
    },
    async delete(ids) {
      if (ids.length > 0) await db.deleteFrom('password_reset_requests').where('id', 'in', ids).execute();
    },
  };
}
