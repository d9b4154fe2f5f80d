import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ListedSession, SessionStore, TenantSessionStore } from '../domain/session/session-store.ts';
import { SESSION_HANDLE_LABEL } from '../domain/session/session.ts';
import type { Database } from './schema.ts';
import { prefixedInstanceColumns, toPrefixedInstance, toSession, toThrottles, toUser } from './rows.ts';
import { insertAudit } from './audit-store.ts';
import { deleteThrottleKeys, refundThrottleKeys } from './throttle-store.ts';
import { PASSWORD_KEY_PREFIX, REAUTH_KEY_PREFIX, SECOND_FACTOR_KEY_PREFIX } from '../domain/throttle/throttle.ts';

interface ActiveRow {
  id: string;
  instance_id: string;
  user_id: string;
  stage: 'done' | 'verify' | 'setup' | 'change_password';
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  second_factor_at: Date | null;
  second_factor_kind: 'totp' | 'backup_code' | null;
  pending_totp_secret: string | null;
  pending_totp_expires_at: Date | null;
  secret_hash: string;
  u_email: string;
  u_name: string;
  u_role: 'admin' | 'member';
  u_status: 'active' | 'disabled';
  u_two_factor_enabled: boolean;
  u_password_changed_at: Date | null;
  u_created_at: Date;
  u_setup_postponements: number;
  t_secret_sealed: string | null;
  t_last_used_step: number | string | null;
  b_code_mac: string | null;
  throttles: unknown;
  user_sessions: unknown;
}

export function sessionStore(db: Kysely<Database>): SessionStore {
  return {
    async findActive(id, secretHash, { now, idleCutoff, touchBefore }, throttles, list) {
      // One statement per authenticated request: the lookup joins user, instance and the user's
      // authenticator, and the data-modifying CTE refreshes the idle timer at most once a minute.
      const { rows } = await sql<ActiveRow>`
        with found as (
          select s.id, s.instance_id, s.user_id, s.stage, s.created_at, s.last_seen_at, s.expires_at, s.secret_hash,
                 s.second_factor_at, s.second_factor_kind, s.pending_totp_secret, s.pending_totp_expires_at,
                 u.email as u_email, u.name as u_name, u.role as u_role, u.status as u_status,
                 u.two_factor_enabled as u_two_factor_enabled, u.password_changed_at as u_password_changed_at,
                 u.created_at as u_created_at,
                 u.setup_postponements as u_setup_postponements, ${prefixedInstanceColumns},
                 t.secret_sealed as t_secret_sealed, t.last_used_step as t_last_used_step, ${throttles ? sql`b.code_mac` : sql`null::text`} as b_code_mac,
                 ${throttles ? userThrottleSubquery(throttles.ipKey) : sql`null`} as throttles,
                 ${list ? userSessionsSubquery(list.sessions, now, idleCutoff) : sql`null`} as user_sessions
          from sessions s
          join users u on u.instance_id = s.instance_id and u.id = s.user_id
          join instances i on i.id = s.instance_id
          left join totp_credentials t on t.instance_id = s.instance_id and t.user_id = s.user_id
          ${throttles ? sql`left join backup_codes b on b.instance_id = s.instance_id and b.user_id = s.user_id` : sql``}
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
          setup_postponements: row.u_setup_postponements,
        }),
        instance: toPrefixedInstance(row.instance_id, row as unknown as Record<string, unknown>),
        totp: row.t_secret_sealed !== null ? { secretSealed: row.t_secret_sealed, lastUsedStep: Number(row.t_last_used_step) } : null,
        backupCodeMac: row.b_code_mac,
        throttles: toThrottles(row.throttles),
        ...(list ? { userSessions: toListedSessions(row.user_sessions) } : {}),
      };
    },
    async delete(id, secretHash) {
      await db.deleteFrom('sessions').where('id', '=', id).where('secret_hash', '=', secretHash).execute();
    },
    async setPendingTotp(id, pending) {
      await db
        .updateTable('sessions')
        .set({ pending_totp_secret: pending?.secretSealed ?? null, pending_totp_expires_at: pending?.expiresAt ?? null })
        .where('id', '=', id)
        .execute();
    },
  };
}

/** The second-factor and password keys of the session's user (and an IP key), inside the session lookup. */
function userThrottleSubquery(ipKey: string | null) {
  return sql`(select json_agg(json_build_object('key', th.key, 'failures', th.failures, 'last', th.last_failure_at))
              from throttles th
              where th.key in (${SECOND_FACTOR_KEY_PREFIX} || s.user_id, ${PASSWORD_KEY_PREFIX} || i.slug || ':' || u.email_key, ${REAUTH_KEY_PREFIX} || s.id, ${ipKey ?? ''}))`;
}

/** sessionHandle(id) of the domain (session.ts), computed in SQL over a column. */
function handleOf(column: RawBuilder<string>) {
  return sql<string>`encode(sha256(convert_to(${SESSION_HANDLE_LABEL} || ${column}, 'UTF8')), 'hex')`;
}

/**
 * The session's user's full sessions, unexpired and not idle, the looked-up one first and then the
 * most recently used, at most `limit`, as one JSON value inside the session lookup: the list costs
 * no statement of its own. sessions_user_idx (instance_id, user_id) finds them.
 */
function userSessionsSubquery(limit: number, now: Date, idleCutoff: Date) {
  return sql`(select coalesce(json_agg(json_build_object('handle', ${handleOf(sql`o.id`)}, 'current', o.current, 'createdAt', o.created_at,
                'lastSeenAt', o.last_seen_at, 'expiresAt', o.expires_at, 'ip', o.ip, 'userAgent', o.user_agent, 'secondFactorAt', o.second_factor_at)
                order by o.current desc, o.last_seen_at desc, o.id), '[]'::json)
              from (select os.*, os.id = s.id as current from sessions os
                    where os.instance_id = s.instance_id and os.user_id = s.user_id and os.stage = 'done'
                      and os.expires_at > ${now} and os.last_seen_at > ${idleCutoff}
                    order by os.id = s.id desc, os.last_seen_at desc, os.id limit ${limit}) o)`;
}

interface ListedSessionJson {
  handle: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  secondFactorAt: string | null;
}

function toListedSessions(json: unknown): ListedSession[] {
  const list = (typeof json === 'string' ? JSON.parse(json) : json) as ListedSessionJson[] | null;
  return (list ?? []).map((o) => ({
    handle: o.handle,
    current: o.current,
    createdAt: new Date(o.createdAt),
    lastSeenAt: new Date(o.lastSeenAt),
    expiresAt: new Date(o.expiresAt),
    ip: o.ip,
    userAgent: o.userAgent,
    secondFactorAt: o.secondFactorAt === null ? null : new Date(o.secondFactorAt),
  }));
}

/** The states of some throttle keys as one JSON value, for a select list. */
export function throttleSubquery(keys: string[]) {
  return sql`(select json_agg(json_build_object('key', th.key, 'failures', th.failures, 'last', th.last_failure_at))
              from throttles th where th.key in (${sql.join(keys)}))`;
}

/** Sessions of one instance. */
export function tenantSessionStore(db: Kysely<Database>, instanceId: string): TenantSessionStore {
  return {
    async rotate(previous, next, effects = {}) {
      // One statement: the old session ends in the same moment the new one starts; a success
      // clears its throttle counters and refreshes the known location it used. With
      // `requirePrevious`, nothing happens unless the old session still existed: a session ended
      // meanwhile (a reset, a password change) cannot be traded for a new one.
      const clearKeys = effects.clearKeys ?? [];
      const gate = effects.requirePrevious ? 'ended' : undefined;
      const { rows } = await sql<{ id: string }>`
        with ended as (
          delete from sessions where id = ${previous?.id ?? ''} and secret_hash = ${previous?.secretHash ?? ''} and instance_id = ${instanceId}
          returning id
        ), refunded as (
          ${refundThrottleKeys(clearKeys, gate)}
        ), cleared as (
          ${deleteThrottleKeys(clearKeys, gate)}
        ), touched as (
          update known_locations set last_used_at = ${next.lastSeenAt}
          where id = ${effects.touchLocationId ?? ''} and instance_id = ${instanceId} and user_id = ${next.userId}
        ), audited as (
          ${insertAudit(effects.audit, gate)}
        )
        ${insertSession(instanceId, next, gate)}
        returning id`.execute(db);
      return rows.length === 1;
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

type NewSessionRow = { id: string; secretHash: string; userId: string; stage: string; lastSeenAt: Date; expiresAt: Date; ip: string | null; userAgent: string | null; secondFactorAt: Date | null; secondFactorKind?: string | null };

/**
 * `insert into sessions …` for a new session, as the final statement of a CTE; with `onlyIf`
 * (a CTE name), the row is inserted only when that CTE returned a row.
 */
export function insertSession(instanceId: string, next: NewSessionRow, onlyIf?: string) {
  const values = sql`${next.id}, ${instanceId}, ${next.userId}, ${next.secretHash}, ${next.stage}, ${next.lastSeenAt}::timestamptz,
                ${next.lastSeenAt}::timestamptz, ${next.expiresAt}::timestamptz, ${next.ip}::text, ${next.userAgent}::text, ${next.secondFactorAt}::timestamptz,
                ${next.secondFactorKind ?? null}::text`;
  return sql`insert into sessions (id, instance_id, user_id, secret_hash, stage, created_at, last_seen_at, expires_at, ip, user_agent, second_factor_at, second_factor_kind)
        ${onlyIf ? sql`select ${values} from ${sql.table(onlyIf)}` : sql`values (${values})`}`;
}

/**
 * The one replay predicate in SQL (domain/auth/session-rules.ts isReplayedStep): a TOTP step is
 * accepted only when newer than the last one used, for users and operators alike (RFC 6238 §5.2).
 * A null column (no app) accepts nothing.
 */
export function stepIsNew(lastUsedColumn: RawBuilder<unknown> | ReturnType<typeof sql.ref>, step: number) {
  return sql<boolean>`${lastUsedColumn} < ${step}`;
}
