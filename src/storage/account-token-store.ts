import { sql, type Kysely } from 'kysely';
import type { AccountTokenStore, TenantAccountTokenStore } from '../domain/account/account-token-store.ts';
import type { Database } from './schema.ts';

export function accountTokenStore(db: Kysely<Database>): AccountTokenStore {
  return {
    async issue(userId, purpose, tokenHash, now, expiresAt, notIfIssuedAfter) {
      const recent = notIfIssuedAfter
        ? sql`and not exists (select 1 from account_tokens r where r.user_id = ${userId} and r.purpose = ${purpose} and r.created_at > ${notIfIssuedAfter})`
        : sql``;
      const { rows } = await sql<{ n: number }>`
        with allowed as (
          select instance_id, id from users where id = ${userId} ${recent}
        ), replaced as (
          delete from account_tokens where user_id = ${userId} and purpose = ${purpose} and used_at is null and exists (select 1 from allowed)
        ), issued as (
          insert into account_tokens (token_hash, instance_id, user_id, purpose, created_at, expires_at)
          select ${tokenHash}, instance_id, id, ${purpose}, ${now}::timestamptz, ${expiresAt}::timestamptz from allowed
          returning 1
        )
        select count(*)::int as n from issued`.execute(db);
      return Number(rows[0]?.n) === 1;
    },
    async find(tokenHash, purpose, now) {
      const row = await db
        .selectFrom('account_tokens')
        .select(['instance_id', 'user_id'])
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row ? { instanceId: row.instance_id, userId: row.user_id } : null;
    },
    async activeUntil(userId, purpose, now) {
      const row = await db
        .selectFrom('account_tokens')
        .select(['expires_at'])
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('expires_at', 'desc')
        .executeTakeFirst();
      return row ? new Date(row.expires_at) : null;
    },
  };
}

export function tenantAccountTokenStore(db: Kysely<Database>, instanceId: string): TenantAccountTokenStore {
  return {
    async consume(tokenHash, purpose, userId, now) {
      // Why one conditional UPDATE: a link or code works once even when submitted twice at the
      // same moment (single use, OWASP Forgot Password Cheat Sheet).
      const result = await db
        .updateTable('account_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async deleteUnusedForUser(userId) {
      const result = await db.deleteFrom('account_tokens').where('instance_id', '=', instanceId).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
