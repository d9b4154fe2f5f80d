import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { TenantSessionStore } from '../domain/session/session-store.ts';
import { SESSION_HANDLE_LABEL } from '../domain/session/session.ts';
import type { Database } from './schema.ts';

/** sessionHandle(id) of the domain (session.ts), computed in SQL over a column. */
export function handleOf(column: RawBuilder<string>) {
  return sql<string>`encode(sha256(convert_to(${SESSION_HANDLE_LABEL} || ${column}, 'UTF8')), 'hex')`;
}

/** Sessions of one instance but the swap (auth-session-store.ts tenantSessionRotate). */
export function tenantSessionStore(db: Kysely<Database>, instanceId: string): Omit<TenantSessionStore, 'rotate'> {
  return {
    async deleteForUser(userId, exceptId) {
      const result = await db
        .deleteFrom('sessions')
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .where('id', '<>', exceptId ?? '')
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async deleteByHandle(userId, handle) {
      const row = await db
        .deleteFrom('sessions')
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .where(handleOf(sql.ref('id')), '=', handle)
        .returning(['id', 'ip', 'user_agent'])
        .executeTakeFirst();
      return row ? { id: row.id, ip: row.ip, userAgent: row.user_agent } : null;
    },
  };
}
