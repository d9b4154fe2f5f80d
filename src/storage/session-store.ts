import { sql, type Kysely } from 'kysely';
import type { SessionStore, TenantSessionStore } from '../domain/session/session-store.ts';
import type { Database } from './schema.ts';
import { toInstance, toSession, toUser } from './rows.ts';

interface ActiveRow {
  id: string;
  instance_id: string;
  user_id: string;
  stage: 'done' | 'verify' | 'setup' | 'change_password';
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  secret_hash: string;
  u_email: string;
  u_name: string;
  u_role: 'admin' | 'member';
  u_status: 'active' | 'disabled';
  u_two_factor_enabled: boolean;
  u_password_changed_at: Date | null;
  u_created_at: Date;
  i_slug: string;
  i_name: string;
  i_plan: 'professional' | 'business' | 'enterprise';
  i_created_at: Date;
}

export function sessionStore(db: Kysely<Database>): SessionStore {
  return {
    async findActive(id, secretHash, now, idleCutoff, touchBefore) {
      // One statement per authenticated request: the lookup joins user and instance, and the
      // data-modifying CTE refreshes the idle timer at most once a minute.
      const { rows } = await sql<ActiveRow>`
        with found as (
          select s.id, s.instance_id, s.user_id, s.stage, s.created_at, s.last_seen_at, s.expires_at, s.secret_hash,
                 u.email as u_email, u.name as u_name, u.role as u_role, u.status as u_status,
                 u.two_factor_enabled as u_two_factor_enabled, u.password_changed_at as u_password_changed_at,
                 u.created_at as u_created_at,
                 i.slug as i_slug, i.name as i_name, i.plan as i_plan, i.created_at as i_created_at
          from sessions s
          join users u on u.instance_id = s.instance_id and u.id = s.user_id
          join instances i on i.id = s.instance_id
          where s.id = ${id} and s.expires_at > ${now} and s.last_seen_at > ${idleCutoff} and u.status = 'active'
        ), touched as (
          update sessions set last_seen_at = ${now}
          where id = (select id from found) and last_seen_at < ${touchBefore} and secret_hash = ${secretHash}
          returning id
        )
        select * from found`.execute(db);
      const row = rows[0];
      if (!row) return null;
      return {
        session: toSession(row),
        secretHash: row.secret_hash,
        user: toUser({
          id: row.user_id,
          instance_id: row.instance_id,
          email: row.u_email,
          name: row.u_name,
          role: row.u_role,
          status: row.u_status,
          two_factor_enabled: row.u_two_factor_enabled,
          password_changed_at: row.u_password_changed_at,
          created_at: row.u_created_at,
        }),
        instance: toInstance({ id: row.instance_id, slug: row.i_slug, name: row.i_name, plan: row.i_plan, created_at: row.i_created_at }),
      };
    },
    async delete(id, secretHash) {
      await db.deleteFrom('sessions').where('id', '=', id).where('secret_hash', '=', secretHash).execute();
    },
  };
}

/** Sessions of one instance. */
export function tenantSessionStore(db: Kysely<Database>, instanceId: string): TenantSessionStore {
  return {
    async rotate(previousId, next) {
      // One statement: the old session ends in the same moment the new one starts.
      await sql`
        with ended as (
          delete from sessions where id = ${previousId ?? ''} and instance_id = ${instanceId}
        )
        insert into sessions (id, instance_id, user_id, secret_hash, stage, created_at, last_seen_at, expires_at, ip, user_agent)
        values (${next.id}, ${instanceId}, ${next.userId}, ${next.secretHash}, ${next.stage}, ${next.lastSeenAt},
                ${next.lastSeenAt}, ${next.expiresAt}, ${next.ip}, ${next.userAgent})`.execute(db);
    },
    async deleteForUser(userId, exceptId) {
      const result = await db
        .deleteFrom('sessions')
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .where('id', '<>', exceptId ?? '')
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
