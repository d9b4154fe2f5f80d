/**
 * The login kernel's lookups in storage, for users and for support operators: the password step's
 * account lookup and the session lookup of every login step and authenticated request, built with
 * Kysely's typed builder so that row types come from schema.ts. One statement each
 * (docs/performance.md); the session lookup refreshes the idle timer in a data-modifying CTE.
 * The steps' writes (session swap, code use, enrolment) are in session-store.ts,
 * two-factor-store.ts and operator-store.ts.
 */
import { sql, type Kysely } from 'kysely';
import type { ListedSession, SessionStore } from '../domain/session/session-store.ts';
import type { OperatorSessionStore, OperatorStore } from '../domain/support/operator-store.ts';
import type { CredentialStore } from '../domain/login/credential-store.ts';
import type { PresentedLocation } from '../domain/known-location/known-location.ts';
import type { Database, InstanceRow } from './schema.ts';
import { INSTANCE_COLUMNS, toInstance, toSession, toThrottles, toUser, type UserColumns } from './rows.ts';
import { handleOf } from './session-store.ts';
import { throttleSubquery } from './throttle-store.ts';
import type { ThrottleKey } from '../domain/throttle/throttle.ts';

const USER_COLUMNS = [
  'email',
  'name',
  'role',
  'status',
  'two_factor_enabled',
  'password_changed_at',
  'created_at',
  'setup_postponements',
] as const;
const OPERATOR_COLUMNS = ['email', 'name', 'created_at', 'totp_secret_sealed', 'totp_last_used_step'] as const;

/** `a.column as a_column` for each column: a joined table's columns beside the session's, typed. */
function prefixed<A extends string, C extends string>(alias: A, columns: readonly C[]) {
  return columns.map((c) => `${alias}.${c} as ${alias}_${c}` as Prefixed<A, C>);
}
/** Distributes over the columns, so each alias keeps its own column's type. */
type Prefixed<A extends string, C extends string> = C extends string ? `${A}.${C} as ${A}_${C}` : never;

/** The columns selected with prefixed(alias, …), under their own names again. */
function unprefixed<A extends string, R extends object>(
  alias: A,
  row: R,
): { [K in keyof R as K extends `${A}_${infer C}` ? C : never]: R[K] } {
  const entries = Object.entries(row).filter(([key]) => key.startsWith(`${alias}_`));
  return Object.fromEntries(entries.map(([key, value]) => [key.slice(alias.length + 1), value])) as never;
}

/** Users' sessions: the kernel's session port over `sessions` (domain/session/session-store.ts). */
export function userSessionStore(db: Kysely<Database>): SessionStore {
  return {
    async findActive(id, secretHash, { now, idleCutoff, touchBefore }, throttles, list) {
      // One statement per authenticated request: the lookup joins user, instance and the user's
      // authenticator, and the data-modifying CTE refreshes the idle timer at most once a minute.
      const row = await db
        .with('found', (qb) =>
          qb
            .selectFrom('sessions as s')
            .innerJoin('users as u', (join) => join.onRef('u.instance_id', '=', 's.instance_id').onRef('u.id', '=', 's.user_id'))
            .innerJoin('instances as i', 'i.id', 's.instance_id')
            .leftJoin('totp_credentials as t', (join) =>
              join.onRef('t.instance_id', '=', 's.instance_id').onRef('t.user_id', '=', 's.user_id'),
            )
            .$if(throttles !== undefined, (q) =>
              q.leftJoin('backup_codes as b', (join) =>
                join.onRef('b.instance_id', '=', 's.instance_id').onRef('b.user_id', '=', 's.user_id'),
              ),
            )
            .selectAll('s')
            .select([
              ...prefixed('u', USER_COLUMNS),
              ...prefixed('i', INSTANCE_COLUMNS),
              't.secret_sealed as t_secret_sealed',
              't.last_used_step as t_last_used_step',
            ])
            .select([
              (throttles ? sql<string | null>`b.code_mac` : sql<string | null>`null::text`).as('b_code_mac'),
              (throttles ? userThrottleSubquery(throttles.ipKey) : sql<unknown>`null`).as('throttles'),
              (list ? userSessionsSubquery(list.sessions, now, idleCutoff) : sql<unknown>`null`).as('user_sessions'),
            ])
            .where('s.id', '=', id)
            .where('s.expires_at', '>', now)
            .where('s.last_seen_at', '>', idleCutoff)
            .where('u.status', '=', 'active'),
        )
        .with('touched', (qb) =>
          qb
            .updateTable('sessions')
            .set({ last_seen_at: now })
            .where('id', '=', (eb) => eb.selectFrom('found').select('found.id'))
            .where('last_seen_at', '<', touchBefore)
            .where('secret_hash', '=', secretHash)
            .returning('id'),
        )
        .selectFrom('found')
        .selectAll()
        .executeTakeFirst();
      if (!row) return null;
      return {
        session: toSession(row),
        secretHash: row.secret_hash,
        user: toUser({ ...unprefixed('u', row), id: row.user_id, instance_id: row.instance_id }),
        instance: toInstance({ ...unprefixed('i', row), id: row.instance_id }),
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

/** Operators' sessions: the lookup part of the kernel's session port over `operator_sessions` (operator-store.ts has the writes). */
export function operatorSessionLookup(db: Kysely<Database>): Pick<OperatorSessionStore, 'findActive' | 'delete' | 'setPendingTotp'> {
  return {
    async findActive(id, secretHash, { now, idleCutoff, touchBefore }, throttles) {
      const row = await db
        .with('found', (qb) =>
          qb
            .selectFrom('operator_sessions as s')
            .innerJoin('operators as o', 'o.id', 's.operator_id')
            .selectAll('s')
            .select(prefixed('o', OPERATOR_COLUMNS))
            // operatorSecondFactorKey of the domain over the lookup's own column, and the IP key.
            .select(
              throttleSubquery([
                { scope: 'operator_second_factor', instanceSlug: null, subject: sql<string>`s.operator_id` },
                ...(throttles?.ipKey ? [throttles.ipKey] : []),
              ]).as('throttles'),
            )
            .where('s.id', '=', id)
            .where('s.expires_at', '>', now)
            .where('s.last_seen_at', '>', idleCutoff),
        )
        .with('touched', (qb) =>
          qb
            .updateTable('operator_sessions')
            .set({ last_seen_at: now })
            .where('id', '=', (eb) => eb.selectFrom('found').select('found.id'))
            .where('last_seen_at', '<', touchBefore)
            .where('secret_hash', '=', secretHash)
            .returning('id'),
        )
        .selectFrom('found')
        .selectAll()
        .executeTakeFirst();
      if (!row) return null;
      const pending =
        row.pending_totp_secret && row.pending_totp_expires_at
          ? { secretSealed: row.pending_totp_secret, expiresAt: row.pending_totp_expires_at }
          : null;
      return {
        session: {
          id: row.id,
          operatorId: row.operator_id,
          stage: row.stage,
          createdAt: row.created_at,
          lastSeenAt: row.last_seen_at,
          expiresAt: row.expires_at,
          secondFactorAt: row.second_factor_at,
          // Only a TOTP code verifies an operator session (operators have no backup code).
          secondFactorKind: row.second_factor_at ? 'totp' : null,
          pendingTotp: pending,
        },
        secretHash: row.secret_hash,
        operator: { id: row.operator_id, email: row.o_email, name: row.o_name, createdAt: row.o_created_at },
        totp:
          row.o_totp_secret_sealed !== null
            ? { secretSealed: row.o_totp_secret_sealed, lastUsedStep: Number(row.o_totp_last_used_step ?? 0) }
            : null,
        throttles: toThrottles(row.throttles),
      };
    },
    async delete(id, secretHash) {
      await db.deleteFrom('operator_sessions').where('id', '=', id).where('secret_hash', '=', secretHash).execute();
    },
    async setPendingTotp(id, pending) {
      await db
        .updateTable('operator_sessions')
        .set({ pending_totp_secret: pending?.secretSealed ?? null, pending_totp_expires_at: pending?.expiresAt ?? null })
        .where('id', '=', id)
        .execute();
    },
  };
}

/** The password step's lookup for users (domain/login/credential-store.ts). */
export function credentialStore(db: Kysely<Database>): CredentialStore {
  return {
    async findForLogin({ instanceSlug, emailKey, throttleKeys, deviceIds, now }) {
      // One statement for login step 1: the account (if any), the throttle states (which exist
      // for unknown accounts too) and the user's known locations among the presented devices.
      const row = await db
        .selectFrom(throttleStates(throttleKeys))
        .leftJoin('instances as i', (join) => join.on('i.slug', '=', instanceSlug))
        .leftJoin('users as u', (join) => join.onRef('u.instance_id', '=', 'i.id').on('u.email_key', '=', emailKey))
        .select([
          't.throttles',
          'i.id as i_id',
          ...prefixed('i', INSTANCE_COLUMNS),
          'u.id as u_id',
          'u.instance_id as u_instance_id',
          ...prefixed('u', USER_COLUMNS),
        ])
        .select(['u.password_hash', 'u.totp_associated'])
        .select((eb) =>
          (deviceIds.length > 0
            ? eb
                .selectFrom('known_locations as kl')
                .select(
                  sql<unknown>`json_agg(json_build_object('id', kl.id, 'secretHash', kl.secret_hash, 'network', kl.network))`.as('list'),
                )
                .whereRef('kl.instance_id', '=', 'u.instance_id')
                .whereRef('kl.user_id', '=', 'u.id')
                .where('kl.id', 'in', deviceIds)
                .where('kl.expires_at', '>', now)
                .where(sql<Date>`kl.created_at + make_interval(days => i.trust_days)`, '>', now)
            : sql<unknown>`null`
          ).as('locations'),
        )
        .executeTakeFirstOrThrow();
      // Left joins: the columns are null exactly when the instance or the user does not exist.
      const account =
        row.u_id !== null && row.i_id !== null
          ? {
              instance: toInstance({ ...(unprefixed('i', row) as Omit<InstanceRow, 'id'>), id: row.i_id }),
              user: { ...toUser({ ...(unprefixed('u', row) as UserColumns), id: row.u_id }), passwordHash: row.password_hash },
              associated: row.totp_associated === true,
            }
          : null;
      return { account, throttles: toThrottles(row.throttles), locations: parseJson<PresentedLocation[]>(row.locations) ?? [] };
    },
  };
}

/** The password step's lookup for support operators (OperatorStore.findForLogin). */
export function operatorCredentialLookup(db: Kysely<Database>): Pick<OperatorStore, 'findForLogin'> {
  return {
    async findForLogin(key, throttleKeys, deviceIds, now) {
      // The operator (or none), the throttle states and the operator's unexpired device tokens among the presented ids.
      const row = await db
        .selectFrom(throttleStates(throttleKeys))
        .leftJoin('operators as o', (join) => join.on('o.email_key', '=', key))
        .select(['t.throttles', 'o.id', 'o.email', 'o.name', 'o.created_at', 'o.password_hash'])
        .select((eb) => [
          eb('o.totp_secret_sealed', 'is not', null).as('associated'),
          (deviceIds.length > 0
            ? eb
                .selectFrom('operator_devices as d')
                .select(sql<unknown>`json_agg(json_build_object('id', d.id, 'secretHash', d.secret_hash, 'network', ''))`.as('list'))
                .whereRef('d.operator_id', '=', 'o.id')
                .where('d.id', 'in', deviceIds)
                .where('d.expires_at', '>', now)
            : sql<unknown>`null`
          ).as('devices'),
        ])
        .executeTakeFirstOrThrow();
      const operator =
        row.id !== null
          ? {
              id: row.id,
              email: row.email!,
              name: row.name!,
              createdAt: row.created_at!,
              passwordHash: row.password_hash!,
              associated: row.associated === true,
            }
          : null;
      return { operator, throttles: toThrottles(row.throttles), devices: parseJson<PresentedLocation[]>(row.devices) ?? [] };
    },
  };
}

/**
 * One row holding the states of `keys` (null with none): the password step's lookup starts from
 * it, so it answers one row whether or not the account exists. Raw, not `db.selectNoFrom`: a
 * nested builder of `db` would pass the plugins (and the query budget's counter) once more.
 */
function throttleStates(keys: ThrottleKey[]) {
  return sql<{ throttles: unknown }>`(select ${keys.length > 0 ? throttleSubquery(keys) : sql`null`} as throttles)`.as('t');
}

/** A JSON value as PGlite (text) or pg (parsed) returns it. */
function parseJson<T>(json: unknown): T | null {
  return (typeof json === 'string' ? JSON.parse(json) : json) as T | null;
}

/** The second-factor and password keys of the session's user (and an IP key), inside the session lookup. */
function userThrottleSubquery(ipKey: ThrottleKey | null) {
  // secondFactorKey, passwordKey and reauthenticationKey of the domain, over the lookup's own
  // columns (matched on the key columns, never on a rebuilt string), and the IP key.
  return throttleSubquery([
    { scope: 'second_factor', instanceSlug: null, subject: sql<string>`s.user_id` },
    { scope: 'password', instanceSlug: sql<string>`i.slug`, subject: sql<string>`u.email_key` },
    { scope: 'reauth', instanceSlug: null, subject: sql<string>`s.id` },
    ...(ipKey ? [ipKey] : []),
  ]);
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
