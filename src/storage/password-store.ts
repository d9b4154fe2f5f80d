import { sql, type Kysely } from 'kysely';
import type { PasswordStore } from '../domain/account/password-store.ts';
import type { Database } from './schema.ts';
import { inTransaction } from './transaction.ts';

export function passwordStore(db: Kysely<Database>, instanceId: string): PasswordStore {
  return {
    async findHashes(userId, historyCount) {
      const { rows } = await sql<{ current: string | null; previous: string[] | null; found: boolean }>`
        select u.password_hash as current, true as found,
               (select array_agg(h.password_hash order by h.id desc) from (
                  select id, password_hash from password_history
                  where instance_id = ${instanceId} and user_id = ${userId} order by id desc limit ${historyCount}
               ) h) as previous
        from users u where u.instance_id = ${instanceId} and u.id = ${userId}`.execute(db);
      const row = rows[0];
      return row ? { current: row.current, previous: row.previous ?? [] } : null;
    },
    async replace(userId, newHash, now, keepHistory) {
      return inTransaction(db, async (tx) => {
        const user = await tx
          .selectFrom('users')
          .select('password_hash')
          .where('instance_id', '=', instanceId)
          .where('id', '=', userId)
          .forNoKeyUpdate()
          .executeTakeFirst();
        if (!user) return false;
        if (user.password_hash !== null) {
          await tx
            .insertInto('password_history')
            .values({ instance_id: instanceId, user_id: userId, password_hash: user.password_hash, created_at: now })
            .execute();
        }
        await tx
          .updateTable('users')
          .set({ password_hash: newHash, password_changed_at: now })
          .where('instance_id', '=', instanceId)
          .where('id', '=', userId)
          .execute();
        const kept = tx
          .selectFrom('password_history')
          .select('id')
          .where('instance_id', '=', instanceId)
          .where('user_id', '=', userId)
          .orderBy('id', 'desc')
          .limit(keepHistory);
        await tx
          .deleteFrom('password_history')
          .where('instance_id', '=', instanceId)
          .where('user_id', '=', userId)
          .where('id', 'not in', kept)
          .execute();
        return true;
      });
    },
  };
}
