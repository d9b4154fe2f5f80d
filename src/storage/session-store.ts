import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { TenantSessionStore } from '../domain/session/session-store.ts';
import { SESSION_HANDLE_LABEL } from '../domain/session/session.ts';
import type { Database } from './schema.ts';
import { insertAudit } from './audit-store.ts';
import { throttleCleanup } from './throttle-store.ts';

/** sessionHandle(id) of the domain (session.ts), computed in SQL over a column. */
export function handleOf(column: RawBuilder<string>) {
  return sql<string>`encode(sha256(convert_to(${SESSION_HANDLE_LABEL} || ${column}, 'UTF8')), 'hex')`;
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
        ), ${throttleCleanup(clearKeys, gate)}, touched as (
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

type NewSessionRow = {
  id: string;
  secretHash: string;
  userId: string;
  stage: string;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  secondFactorAt: Date | null;
  secondFactorKind?: string | null;
};

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
export function stepIsNew(lastUsedColumn: RawBuilder<unknown>, step: number) {
  return sql<boolean>`${lastUsedColumn} < ${step}`;
}
