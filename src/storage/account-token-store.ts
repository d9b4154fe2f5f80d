import { sql, type Kysely } from 'kysely';
import { inTransaction } from './transaction.ts';
import type { AccountTokenPurpose, AccountTokenStore, TenantAccountTokenStore } from '../domain/account/account-token-store.ts';
import type { Database } from './schema.ts';

export function accountTokenStore(db: Kysely<Database>): AccountTokenStore {
  const unusedToken = (tokenHash: string, purpose: AccountTokenPurpose, now: Date) =>
    db
      .selectFrom('account_tokens')
      .select(['instance_id', 'user_id'])
      .where('token_hash', '=', tokenHash)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now);
  return {
    async issue(userId, purpose, tokenHash, now, expiresAt) {
      return inTransaction(db, async (tx) => {
        // Why the user's row lock (STYLE.md: cold paths lock explicitly): without it, issues for
        // one user at once each deleted only the tokens their snapshot held and each inserted its
        // own, so several links of one purpose stayed usable (2 to 5 of 10 on PostgreSQL); a
        // replaced link must stop working (OWASP Forgot Password Cheat Sheet: single use). FOR NO
        // KEY UPDATE, as users.lockById takes it: the callers that already hold that lock re-take
        // their own, and a foreign key check's FOR KEY SHARE is not queued behind it.
        const user = await tx.selectFrom('users').select('instance_id').where('id', '=', userId).forNoKeyUpdate().executeTakeFirst();
        if (!user) return false;
        await tx
          .deleteFrom('account_tokens')
          .where('user_id', '=', userId)
          .where('purpose', '=', purpose)
          .where('used_at', 'is', null)
          .execute();
        await tx
          .insertInto('account_tokens')
          .values({
            token_hash: tokenHash,
            instance_id: user.instance_id,
            user_id: userId,
            purpose,
            created_at: now,
            expires_at: expiresAt,
          })
          .execute();
        return true;
      });
    },
    async lastIssuedAt(userId, purpose) {
      const row = await db
        .selectFrom('account_tokens')
        .select((eb) => eb.fn.max('created_at').as('last'))
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .executeTakeFirst();
      return row?.last ? new Date(row.last) : null;
    },
    async find(tokenHash, purpose, now) {
      const row = await unusedToken(tokenHash, purpose, now).executeTakeFirst();
      return row ? { instanceId: row.instance_id, userId: row.user_id } : null;
    },
    async findLocked(tokenHash, purpose, now) {
      // FOR SHARE conflicts with consume()'s UPDATE: behind a spend in flight, PostgreSQL re-checks
      // `used_at is null` on the row as that spend committed it (Read Committed, "UPDATE, DELETE,
      // SELECT FOR UPDATE, and SELECT FOR SHARE" in the docs' Transaction Isolation chapter).
      const row = await unusedToken(tokenHash, purpose, now).forShare().executeTakeFirst();
      return row ? { instanceId: row.instance_id, userId: row.user_id } : null;
    },
    async inspect(tokenHash, purpose) {
      const row = await db
        .selectFrom('account_tokens')
        .select(['instance_id', 'user_id', 'used_at', 'expires_at'])
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .executeTakeFirst();
      return row
        ? {
            instanceId: row.instance_id,
            userId: row.user_id,
            usedAt: row.used_at ? new Date(row.used_at) : null,
            expiresAt: new Date(row.expires_at),
          }
        : null;
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
    async insertForNewUsers(tokens, purpose, now, expiresAt) {
      if (tokens.length === 0) return;
      // One JSON parameter, as users.insertMissing (issue 16: an import's batch in few parameters).
      const rows = JSON.stringify(tokens.map(({ userId, tokenHash }) => ({ token_hash: tokenHash, user_id: userId })));
      await sql`
        insert into account_tokens (token_hash, instance_id, user_id, purpose, created_at, expires_at)
        select r.token_hash, ${instanceId}::text, r.user_id, ${purpose}::text, ${now}::timestamptz, ${expiresAt}::timestamptz
        from json_to_recordset(${rows}::json) as r (token_hash text, user_id text)`.execute(db);
    },
    async deleteUnusedForUser(userId) {
      const result = await db
        .deleteFrom('account_tokens')
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
