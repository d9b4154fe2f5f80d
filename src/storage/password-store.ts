import { sql, type Kysely } from 'kysely';
import type { PasswordStore } from '../domain/account/password-store.ts';
import type { Database } from './schema.ts';
import { insertAudit } from './audit-store.ts';
import { insertSession } from './session-store.ts';

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
    async change(userId, newHash, keepHistory, swap, now, audit) {
      // Only while the session that asked still exists: a reset or another change that ended it
      // meanwhile wins, and this one changes nothing.
      const { rows } = await sql<{ id: string }>`
        with old as (
          select u.password_hash from users u
          where u.instance_id = ${instanceId} and u.id = ${userId}
            and exists (select 1 from sessions where id = ${swap.previousSessionId} and instance_id = ${instanceId} and user_id = ${userId})
        ), changed as (
          update users set password_hash = ${newHash}, password_changed_at = ${now}
          where instance_id = ${instanceId} and id = ${userId} and exists (select 1 from old)
        ), remembered as (
          insert into password_history (instance_id, user_id, password_hash, created_at)
          select ${instanceId}, ${userId}, password_hash, ${now}::timestamptz from old where password_hash is not null
        ), pruned as (
          delete from password_history where instance_id = ${instanceId} and user_id = ${userId} and exists (select 1 from old) and id not in (
            select id from password_history where instance_id = ${instanceId} and user_id = ${userId}
            order by id desc limit ${keepHistory}
          )
        ), ended as (
          delete from sessions where instance_id = ${instanceId} and user_id = ${userId} and exists (select 1 from old)
        ), forgotten as (
          delete from known_locations where instance_id = ${instanceId} and user_id = ${userId} and exists (select 1 from old)
        ), unlinked as (
          -- Why: a reset link or invitation waiting in the mailbox must not outlive the password
          -- it was meant to replace (issue 10 item 13; checklist REC-02: "invalidated by … password change").
          delete from account_tokens where instance_id = ${instanceId} and user_id = ${userId} and used_at is null and exists (select 1 from old)
        ), audited as (
          ${insertAudit(audit, 'old')}
        )
        ${insertSession(instanceId, swap.next, 'old')}
        returning id`.execute(db);
      return rows.length === 1;
    },
  };
}
