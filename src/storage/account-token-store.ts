import { sql, type Kysely } from 'kysely';
import type { AccountTokenStore, TokenPasswordStore } from '../domain/account/account-token-store.ts';
import { insertAudit } from './audit-store.ts';
import type { Database } from './schema.ts';
import { linkKey, secondFactorKey } from '../domain/throttle/throttle.ts';
import { deleteThrottleKeys } from './throttle-store.ts';

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

export function tokenPasswordStore(db: Kysely<Database>, instanceId: string): TokenPasswordStore {
  return {
    async setPasswordWithToken(tokenHash, userId, passwordHash, now, audit, recoveryHash) {
      // The user's passwordKey (domain/throttle/throttle.ts), its parts read from the user's rows.
      const passwordKeyOf = {
        scope: 'password' as const,
        instanceSlug: sql<string>`(select slug from instances where id = ${instanceId})`,
        subject: sql<string>`(select email_key from users where instance_id = ${instanceId} and id = ${userId})`,
      };
      // Why one statement: the link works once even when submitted twice at the same moment. A
      // successful reset proves the mailbox (and, with 2FA, the app), so it also lifts the
      // account's lockout: a lock caused by strangers can always be ended by its owner.
      // The recovery code (issue 10 item 3) is spent by the same statement, and the link only with
      // it: two submissions at once, or one code with two links, set one password at most.
      const recovered = recoveryHash
        ? sql`update account_tokens set used_at = ${now}
              where token_hash = ${recoveryHash} and purpose = 'recovery' and instance_id = ${instanceId} and user_id = ${userId}
                and used_at is null and expires_at > ${now}
                and exists (select 1 from account_tokens l where l.token_hash = ${tokenHash} and l.used_at is null and l.expires_at > ${now})
              returning user_id`
        : sql`select ${userId}::text as user_id`;
      const { rows } = await sql<{ n: number }>`
        with recovered as (
          ${recovered}
        ), spent as (
          update account_tokens set used_at = ${now}
          where token_hash = ${tokenHash} and instance_id = ${instanceId} and user_id = ${userId} and used_at is null and expires_at > ${now}
            and exists (select 1 from recovered)
          returning user_id
        ), history as (
          insert into password_history (instance_id, user_id, password_hash, created_at)
          select instance_id, id, password_hash, ${now}::timestamptz from users
          where instance_id = ${instanceId} and id = ${userId} and password_hash is not null and exists (select 1 from spent)
        ), changed as (
          update users set password_hash = ${passwordHash}, password_changed_at = ${now}
          where instance_id = ${instanceId} and id = ${userId} and exists (select 1 from spent)
        ), ended as (
          delete from sessions where instance_id = ${instanceId} and user_id = ${userId} and exists (select 1 from spent)
        ), forgotten as (
          delete from known_locations where instance_id = ${instanceId} and user_id = ${userId} and exists (select 1 from spent)
        ), others as (
          delete from account_tokens where instance_id = ${instanceId} and user_id = ${userId} and token_hash <> ${tokenHash}
            and token_hash <> ${recoveryHash ?? tokenHash} and used_at is null and exists (select 1 from spent)
        ), unlocked as (
          ${deleteThrottleKeys([passwordKeyOf, secondFactorKey(userId), linkKey(tokenHash)], 'spent')}
        ), audited as (
          ${insertAudit(audit, 'spent')}
        )
        select count(*)::int as n from spent`.execute(db);
      return Number(rows[0]?.n) === 1;
    },
  };
}
