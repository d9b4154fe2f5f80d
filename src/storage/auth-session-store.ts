/**
 * The login kernel in storage, for users and for support operators: the password step's account
 * lookup, the session lookup of every login step and authenticated request, and the steps' writes
 * (session swap, code use, enrolment), built with Kysely's typed builder so that row types come
 * from schema.ts. One statement each (docs/performance.md); the session lookup refreshes the idle
 * timer in a data-modifying CTE. The lookups are prepared queries (prepared.ts): built and compiled
 * once per shape and run with new values, not built again on every request.
 */
import { sql, type Insertable, type Kysely, type QueryCreator, type SqlBool } from 'kysely';
import type { ListedSession, NewSession, SessionStore, TenantSessionStore } from '../domain/session/session-store.ts';
import type { NewOperatorDevice, NewOperatorSession, OperatorSessionStore, OperatorStore } from '../domain/support/operator-store.ts';
import type { NewKnownLocation, TwoFactorStore } from '../domain/totp/two-factor-store.ts';
import type { CredentialStore } from '../domain/login/credential-store.ts';
import type { PresentedLocation } from '../domain/known-location/known-location.ts';
import type {
  AuditEventsTable,
  OutboxTable,
  Database,
  InstanceRow,
  KnownLocationsTable,
  OperatorDevicesTable,
  OperatorSessionsTable,
  SessionsTable,
} from './schema.ts';
import { INSTANCE_COLUMNS, toInstance, toSession, toThrottles, toUser, type UserColumns } from './rows.ts';
import { handleOf } from './session-store.ts';
import { splitClearKeys, throttleClear, throttleClearOf, throttleRefund, throttleRefundOf, throttleSubquery } from './throttle-store.ts';
import type { ThrottleKey, ThrottleKeyParts } from '../domain/throttle/throttle.ts';
import { insertRow, nothing, returnedRow, type Cte } from './cte.ts';
import { auditRow, insertAudit, insertAuditRows } from './audit-store.ts';
import type { AuditAction } from '../domain/audit/audit-event.ts';
import { insertOutbox, outboxRow } from './outbox-store.ts';
import { prepared } from './prepared.ts';

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

/** What a session lookup is asked with: the cookie's id and secret hash, the times, and the extras of a login step. */
interface SessionLookup {
  id: string;
  secretHash: string;
  now: Date;
  idleCutoff: Date;
  touchBefore: Date;
  throttles: { ipKey: ThrottleKey | null } | undefined;
}

/**
 * The idle timer's refresh, as the data-modifying CTE `touched` beside the lookup's `found`: at
 * most once a minute (`touchBefore`), and only with the right secret hash, so a guessed id moves
 * nothing (the caller still compares the hash in constant time). Both principals' session tables.
 */
function touchIdle(table: 'sessions' | 'operator_sessions', p: Pick<SessionLookup, 'now' | 'touchBefore' | 'secretHash'>) {
  return (qb: QueryCreator<Database & { found: { id: string } }>) =>
    qb
      .updateTable(table)
      .set({ last_seen_at: p.now })
      .where('id', '=', (eb) => eb.selectFrom('found').select('found.id'))
      .where('last_seen_at', '<', p.touchBefore)
      .where('secret_hash', '=', p.secretHash)
      .returning('id');
}

/**
 * A user's session lookup: one statement per authenticated request. It joins user, instance and
 * the user's authenticator, and the data-modifying CTE refreshes the idle timer at most once a minute.
 */
const findUserSession = prepared((db, p: SessionLookup & { list: { sessions: number } | undefined }) =>
  db
    .with('found', (qb) =>
      qb
        .selectFrom('sessions as s')
        .innerJoin('users as u', (join) => join.onRef('u.instance_id', '=', 's.instance_id').onRef('u.id', '=', 's.user_id'))
        .innerJoin('instances as i', 'i.id', 's.instance_id')
        .leftJoin('totp_credentials as t', (join) => join.onRef('t.instance_id', '=', 's.instance_id').onRef('t.user_id', '=', 's.user_id'))
        .$if(p.throttles !== undefined, (q) =>
          q.leftJoin('backup_codes as b', (join) => join.onRef('b.instance_id', '=', 's.instance_id').onRef('b.user_id', '=', 's.user_id')),
        )
        .selectAll('s')
        .select([
          ...prefixed('u', USER_COLUMNS),
          ...prefixed('i', INSTANCE_COLUMNS),
          't.secret_sealed as t_secret_sealed',
          't.last_used_step as t_last_used_step',
        ])
        .select([
          (p.throttles ? sql<string | null>`b.code_mac` : sql<string | null>`null::text`).as('b_code_mac'),
          (p.throttles ? userThrottleSubquery(p.throttles.ipKey) : sql<unknown>`null`).as('throttles'),
          (p.list ? userSessionsSubquery(p.list.sessions, p.now, p.idleCutoff) : sql<unknown>`null`).as('user_sessions'),
        ])
        .where('s.id', '=', p.id)
        .where('s.expires_at', '>', p.now)
        .where('s.last_seen_at', '>', p.idleCutoff)
        .where('u.status', '=', 'active'),
    )
    .with('touched', touchIdle('sessions', p))
    .selectFrom('found')
    .selectAll(),
);

/** Users' sessions: the kernel's session port over `sessions` (domain/session/session-store.ts). */
const LOGGED_OUT: AuditAction = 'session.logged_out';

export function userSessionStore(db: Kysely<Database>): SessionStore {
  return {
    async findActive(id, secretHash, { now, idleCutoff, touchBefore }, throttles, list) {
      const row = await findUserSession.executeTakeFirst(db, { id, secretHash, now, idleCutoff, touchBefore, throttles, list });
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
    async logOut(id, secretHash, { at, idleCutoff, client, details }) {
      // The labels as personLabel (audit-event.ts) writes them: "Name <email>", from the row of
      // the user whose session ended (test/flows/sessions.test.ts pins the two as one).
      const label = sql<string>`u.name || ' <' || u.email || '>'`;
      await db
        .with('ended', (qb) =>
          qb
            .deleteFrom('sessions')
            .where('id', '=', id)
            .where('secret_hash', '=', secretHash)
            .returning(['instance_id', 'user_id', sql<boolean>`expires_at > ${at} and last_seen_at > ${idleCutoff}`.as('live')]),
        )
        .insertInto('audit_events')
        .columns([
          'instance_id',
          'at',
          'action',
          'actor_type',
          'actor_id',
          'actor_label',
          'target_id',
          'target_label',
          'ip',
          'user_agent',
          'details',
        ])
        .expression((eb) =>
          eb
            .selectFrom('ended')
            .innerJoin('users as u', (join) => join.onRef('u.instance_id', '=', 'ended.instance_id').onRef('u.id', '=', 'ended.user_id'))
            .where('ended.live', '=', true)
            .select([
              'ended.instance_id',
              sql<Date>`${at}::timestamptz`.as('at'),
              sql<string>`${LOGGED_OUT}::text`.as('action'),
              sql<string>`'user'`.as('actor_type'),
              'u.id as actor_id',
              label.as('actor_label'),
              'u.id as target_id',
              label.as('target_label'),
              sql<string | null>`${client.ip}::text`.as('ip'),
              sql<string | null>`${client.userAgent}::text`.as('user_agent'),
              sql<string>`${JSON.stringify(details)}::jsonb`.as('details'),
            ]),
        )
        .execute();
    },
    async keepPendingTotp(id, candidate, now) {
      return keepPending(db, 'sessions', id, candidate, now);
    },
  };
}

/** An operator's session lookup, with the operator and (for a login step) the throttle states, and the same idle refresh. */
const findOperatorSession = prepared((db, p: SessionLookup) =>
  db
    .with('found', (qb) =>
      qb
        .selectFrom('operator_sessions as s')
        .innerJoin('operators as o', (join) => join.onRef('o.id', '=', 's.operator_id').on('o.disabled_at', 'is', null))
        .selectAll('s')
        .select(prefixed('o', OPERATOR_COLUMNS))
        // operatorSecondFactorKey of the domain over the lookup's own column, and the IP key.
        .select(
          throttleSubquery([
            { scope: 'operator_second_factor', instanceSlug: null, subject: sql<string>`s.operator_id` },
            ...(p.throttles?.ipKey ? [p.throttles.ipKey] : []),
          ]).as('throttles'),
        )
        .where('s.id', '=', p.id)
        .where('s.expires_at', '>', p.now)
        .where('s.last_seen_at', '>', p.idleCutoff),
    )
    .with('touched', touchIdle('operator_sessions', p))
    .selectFrom('found')
    .selectAll(),
);

/** Operators' sessions: the lookup part of the kernel's session port over `operator_sessions` (operator-store.ts has the writes). */
export function operatorSessionLookup(db: Kysely<Database>): Pick<OperatorSessionStore, 'findActive' | 'delete' | 'keepPendingTotp'> {
  return {
    async findActive(id, secretHash, { now, idleCutoff, touchBefore }, throttles) {
      const row = await findOperatorSession.executeTakeFirst(db, { id, secretHash, now, idleCutoff, touchBefore, throttles });
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
    async keepPendingTotp(id, candidate, now) {
      return keepPending(db, 'operator_sessions', id, candidate, now);
    },
  };
}

/**
 * The password step's lookup for users, one statement for login step 1: the account (if any), the
 * throttle states (which exist for unknown accounts too) and the user's known locations among the
 * presented devices.
 */
const findCredentials = prepared(
  (db, p: { instanceSlug: string; emailKey: string; throttleKeys: ThrottleKey[]; deviceIds: string[]; now: Date }) =>
    db
      .selectFrom(throttleStates(p.throttleKeys))
      .leftJoin('instances as i', (join) => join.on('i.slug', '=', p.instanceSlug))
      .leftJoin('users as u', (join) => join.onRef('u.instance_id', '=', 'i.id').on('u.email_key', '=', p.emailKey))
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
        (p.deviceIds.length > 0
          ? eb
              .selectFrom('known_locations as kl')
              .select(
                sql<unknown>`json_agg(json_build_object('id', kl.id, 'secretHash', kl.secret_hash, 'network', kl.network))`.as('list'),
              )
              .whereRef('kl.instance_id', '=', 'u.instance_id')
              .whereRef('kl.user_id', '=', 'u.id')
              .where('kl.id', 'in', p.deviceIds)
              .where('kl.expires_at', '>', p.now)
              .where(sql<Date>`kl.created_at + make_interval(days => i.trust_days)`, '>', p.now)
          : sql<unknown>`null`
        ).as('locations'),
      ),
);

/** The password step's lookup for users (domain/login/credential-store.ts). */
export function credentialStore(db: Kysely<Database>): CredentialStore {
  return {
    async findForLogin({ instanceSlug, emailKey, throttleKeys, deviceIds, now }) {
      const row = await findCredentials.executeTakeFirstOrThrow(db, { instanceSlug, emailKey, throttleKeys, deviceIds, now });
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

/** The password step's lookup for support operators: the operator (or none), the throttle states and the operator's unexpired device tokens among the presented ids. */
const findOperatorCredentials = prepared((db, p: { emailKey: string; throttleKeys: ThrottleKey[]; deviceIds: string[]; now: Date }) =>
  db
    .selectFrom(throttleStates(p.throttleKeys))
    // A disabled operator is looked up as an unknown one: the same answer and the same work.
    .leftJoin('operators as o', (join) => join.on('o.email_key', '=', p.emailKey).on('o.disabled_at', 'is', null))
    .select(['t.throttles', 'o.id', 'o.email', 'o.name', 'o.created_at', 'o.password_hash'])
    .select((eb) => [
      eb('o.totp_secret_sealed', 'is not', null).as('associated'),
      (p.deviceIds.length > 0
        ? eb
            .selectFrom('operator_devices as d')
            .select(sql<unknown>`json_agg(json_build_object('id', d.id, 'secretHash', d.secret_hash, 'network', ''))`.as('list'))
            .whereRef('d.operator_id', '=', 'o.id')
            .where('d.id', 'in', p.deviceIds)
            .where('d.expires_at', '>', p.now)
        : sql<unknown>`null`
      ).as('devices'),
    ]),
);

/** The four prepared lookups, for test/storage/prepared.test.ts (each must compile to its builder's SQL). */
export const loginLookups = {
  userSession: findUserSession,
  operatorSession: findOperatorSession,
  userCredentials: findCredentials,
  operatorCredentials: findOperatorCredentials,
};

/** The password step's lookup for support operators (OperatorStore.findForLogin). */
export function operatorCredentialLookup(db: Kysely<Database>): Pick<OperatorStore, 'findForLogin'> {
  return {
    async findForLogin(emailKey, throttleKeys, deviceIds, now) {
      const row = await findOperatorCredentials.executeTakeFirstOrThrow(db, { emailKey, throttleKeys, deviceIds, now });
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

/*
 * The login steps' writes, for users and for support operators: one statement each (the session
 * swap, a used code with its effects, a confirmed enrolment behind its row lock), built with
 * Kysely's typed `with()`. Every part that a success grants is gated on a CTE of the same
 * statement named by a typed reference (`qb.selectFrom('consumed')`, cte.ts), never by a string.
 * Why the order of the CTEs is part of each statement: PostgreSQL runs a CTE when another part
 * reads it, and the data-modifying CTEs that nothing reads after the main query, the last one
 * first; row locks are taken in that order, and foreign key checks at the end.
 */

/** A new session of the instance as its row (schema.ts). */
function sessionRow(instanceId: string, next: NewSession): Insertable<SessionsTable> {
  return {
    id: next.id,
    instance_id: instanceId,
    user_id: next.userId,
    secret_hash: next.secretHash,
    stage: next.stage,
    // A step-up's session keeps its login's start (`auth_time`, docs/oidc.md); others start now.
    created_at: next.createdAt ?? next.lastSeenAt,
    last_seen_at: next.lastSeenAt,
    expires_at: next.expiresAt,
    ip: next.ip,
    user_agent: next.userAgent,
    second_factor_at: next.secondFactorAt,
    second_factor_kind: next.secondFactorKind ?? null,
  };
}

function operatorSessionRow(next: NewOperatorSession): Insertable<OperatorSessionsTable> {
  return {
    id: next.id,
    operator_id: next.operatorId,
    secret_hash: next.secretHash,
    stage: next.stage,
    created_at: next.lastSeenAt,
    last_seen_at: next.lastSeenAt,
    expires_at: next.expiresAt,
    ip: next.ip,
    user_agent: next.userAgent,
    second_factor_at: next.secondFactorAt,
  };
}

function knownLocationRow(instanceId: string, userId: string, location: NewKnownLocation, now: Date): Insertable<KnownLocationsTable> {
  return {
    id: location.id,
    instance_id: instanceId,
    user_id: userId,
    secret_hash: location.secretHash,
    network: location.network,
    device: location.device,
    created_at: now,
    last_used_at: now,
    expires_at: location.expiresAt,
  };
}

function operatorDeviceRow(operatorId: string, device: NewOperatorDevice, now: Date): Insertable<OperatorDevicesTable> {
  return { id: device.id, operator_id: operatorId, secret_hash: device.secretHash, created_at: now, expires_at: device.expiresAt };
}

/**
 * The one replay predicate in SQL (domain/auth/session-rules.ts isReplayedStep): a TOTP step is
 * accepted only when newer than the last one used, for users and operators alike (RFC 6238 §5.2).
 * A null column (no app) accepts nothing.
 */
function stepIsNew(lastUsedColumn: 'last_used_step' | 'totp_last_used_step', step: number) {
  return sql<SqlBool>`${sql.ref(lastUsedColumn)} < ${step}`;
}

/**
 * Users' session swap outside the code steps, as one statement: the old session ends in the same
 * moment the new one starts; a success clears its throttle counters and refreshes the known
 * location it used. With `gated` (requirePrevious), nothing happens unless the old session still
 * existed: a session ended meanwhile (a reset, a password change) cannot be traded for a new one.
 * Prepared (prepared.ts): every password step runs it, and building and compiling it was the
 * largest share of Kysely's CPU in a full login's profile after the code step's (issue 16, perf
 * over the HTTP bench). Its shape: `gated`, which values are null, how many keys and events.
 */
const rotateSession = prepared(
  (
    db,
    p: {
      instanceId: string;
      previous: { id: string; secretHash: string };
      gated: boolean;
      addressKeys: ThrottleKeyParts[];
      otherKeys: ThrottleKeyParts[];
      touch: { locationId: string; userId: string; at: Date };
      audit: Insertable<AuditEventsTable>[];
      session: Insertable<SessionsTable>;
    },
  ) =>
    db
      .with('ended', (qb) =>
        qb
          .deleteFrom('sessions')
          .where('id', '=', p.previous.id)
          .where('secret_hash', '=', p.previous.secretHash)
          .where('instance_id', '=', p.instanceId)
          .returning('id'),
      )
      .with('refunded', (qb) => throttleRefundOf(qb, p.addressKeys, p.gated ? qb.selectFrom('ended') : null))
      .with('cleared', (qb) => throttleClearOf(qb, p.otherKeys, p.gated ? qb.selectFrom('ended') : null, qb.selectFrom('refunded')))
      .with('touched', (qb) =>
        qb
          .updateTable('known_locations')
          .set({ last_used_at: p.touch.at })
          .where('id', '=', p.touch.locationId)
          .where('instance_id', '=', p.instanceId)
          .where('user_id', '=', p.touch.userId),
      )
      .with('audited', (qb) => insertAuditRows(qb, p.audit, p.gated ? qb.selectFrom('ended') : null))
      // The main query reads it, so it runs first, as the main query's insert did.
      .with('started', (qb) => insertRow(qb, 'sessions', p.session, p.gated ? qb.selectFrom('ended') : null).returning('id'))
      .selectFrom('started')
      .select('started.id'),
);

/** Users' session swap outside the code steps (TenantSessionStore.rotate): the password step, a postponed setup. */
export function tenantSessionRotate(db: Kysely<Database>, instanceId: string): Pick<TenantSessionStore, 'rotate'> {
  return {
    async rotate(previous, next, effects = {}) {
      const rows = await rotateSession.execute(db, {
        instanceId,
        // No previous session: a delete that finds nothing (no session has an empty id).
        previous: { id: previous?.id ?? '', secretHash: previous?.secretHash ?? '' },
        gated: effects.requirePrevious === true,
        ...splitClearKeys(effects.clearKeys ?? []),
        touch: { locationId: effects.touchLocationId ?? '', userId: next.userId, at: next.lastSeenAt },
        audit: (effects.audit ?? []).map(auditRow),
        session: sessionRow(instanceId, next),
      });
      return rows.length === 1;
    },
  };
}

/** What the code steps' statements are built from: the user, and the session swap when there is one (its new row made). */
interface StepStatement {
  instanceId: string;
  userId: string;
  swap: { previousSessionId: string; session: Insertable<SessionsTable> } | null;
}

/**
 * Why a code step takes the user's row first (FOR SHARE, before the session and the credential
 * rows): a re-enrolment and every cold path lock that row first too (FOR NO KEY UPDATE), so the
 * two run one after the other, in one lock order. Without it, a login by a code of the old app
 * took the credential row while a re-enrolment's statement ran; the re-enrolment's upsert waited
 * for it, but its delete of the user's sessions read a snapshot from before the login committed,
 * and the login's new session outlived the replaced app (SES-07, issue 11). Locking the
 * credential row first in the re-enrolment instead deadlocked with the login, which holds its
 * session row when it takes the credential row; locking the user's sessions before that still
 * leaves a session made after those locks, whose login can hold it and wait for the credential
 * row. SHARE lets logins of one user run side by side and foreign key checks (KEY SHARE) through.
 */
const userLocked = (qb: QueryCreator<Database>, p: StepStatement) =>
  qb.selectFrom('users').select('id').where('instance_id', '=', p.instanceId).where('id', '=', p.userId).forShare();
/**
 * With a session swap, the old session is deleted first (behind the user's row) and the factor
 * is used only if that delete found it: two concurrent requests on one half-logged-in session
 * cannot both win, even with two different valid factors (MFA-09). Without one, a part that
 * does nothing. Why `user_id` too: the swapped session is the user's own (the lookup found it
 * with this user), and with it each of the session's indexes answers in a row or two. Without
 * it, on tables not yet analysed (a new deployment, the bench's fresh database) the generic
 * plan took sessions_user_idx on instance_id alone and read every session of the instance
 * (188 rows, 202 buffers per code step in the bench's EXPLAIN ANALYZE).
 */
const ended = (qb: QueryCreator<Database>, p: StepStatement, locked: Cte) =>
  p.swap
    ? qb
        .deleteFrom('sessions')
        .where('id', '=', p.swap.previousSessionId)
        .where('instance_id', '=', p.instanceId)
        .where('user_id', '=', p.userId)
        .where(returnedRow(locked))
        .returning('id')
    : nothing(qb);
const started = (qb: QueryCreator<Database>, p: StepStatement, gate: Cte) =>
  p.swap ? insertRow(qb, 'sessions', p.swap.session, gate) : nothing(qb);
/**
 * A code step keeps what the provider made from the session it swaps (a step-up re-proves a
 * factor of the same login): the provider state linked to the old id names the new one, before
 * the old row's trigger (migration 0020) would delete it at the end of the statement. A
 * session still at the code step has none.
 */
const relinked = (qb: QueryCreator<Database>, p: StepStatement, gate: Cte) =>
  p.swap
    ? qb
        .updateTable('oidc_state')
        .set({ keyward_session_id: p.swap.session.id })
        .where('instance_id', '=', p.instanceId)
        .where('keyward_session_id', '=', p.swap.previousSessionId)
        .where(returnedRow(gate))
    : nothing(qb);
// The forward sessions of protected applications (docs/forward-auth.md) follow their keyward
// session to its stepped-up successor, as its provider state does: a step-up proves a factor,
// it is not a new login, so the applications stay signed in (and now see amr mfa). The foreign
// key's cascade of the old row runs at the end of the statement, after this move.
const forwarded = (qb: QueryCreator<Database>, p: StepStatement, gate: Cte) =>
  p.swap
    ? qb
        .updateTable('forward_sessions')
        .set({ session_id: p.swap.session.id })
        .where('instance_id', '=', p.instanceId)
        .where('session_id', '=', p.swap.previousSessionId)
        .where(returnedRow(gate))
    : nothing(qb);

/** What a code step's success writes besides its own rows: throttle keys split by scope, audit rows, outbox rows. */
interface StepEffects {
  addressKeys: ThrottleKeyParts[];
  otherKeys: ThrottleKeyParts[];
  audit: Insertable<AuditEventsTable>[];
  mails: Insertable<OutboxTable>[];
}

/**
 * A TOTP step's one statement (TwoFactorStore.consumeStep). Prepared (prepared.ts): every code
 * login runs it, and building and compiling its twelve CTEs was the largest caller of Kysely in a
 * full login's CPU profile (perf over the HTTP bench, issue 16). Its shape: a swap or none, a
 * location or none, how many keys, events and mails, and which values are null.
 */
const consumeTotpStep = prepared(
  (db, p: StepStatement & StepEffects & { step: number; secretSealed: string; location: Insertable<KnownLocationsTable> | null }) =>
    db
      .with('locked', (qb) => userLocked(qb, p))
      .with('ended', (qb) => ended(qb, p, qb.selectFrom('locked')))
      .with('consumed', (qb) =>
        qb
          .updateTable('totp_credentials')
          .set({ last_used_step: p.step })
          .where('instance_id', '=', p.instanceId)
          .where('user_id', '=', p.userId)
          .where('secret_sealed', '=', p.secretSealed)
          .where(stepIsNew('last_used_step', p.step))
          // Used only if the swap's delete found the session or, with no swap, once the user's row is held.
          .where(returnedRow(p.swap ? qb.selectFrom('ended') : qb.selectFrom('locked')))
          .returning('user_id'),
      )
      .with('located', (qb) => (p.location ? insertRow(qb, 'known_locations', p.location, qb.selectFrom('consumed')) : nothing(qb)))
      .with('audited', (qb) => insertAuditRows(qb, p.audit, qb.selectFrom('consumed')))
      .with('refunded', (qb) => throttleRefundOf(qb, p.addressKeys, qb.selectFrom('consumed')))
      .with('cleared', (qb) => throttleClearOf(qb, p.otherKeys, qb.selectFrom('consumed'), qb.selectFrom('refunded')))
      .with('started', (qb) => started(qb, p, qb.selectFrom('consumed')))
      .with('relinked', (qb) => relinked(qb, p, qb.selectFrom('consumed')))
      .with('forwarded', (qb) => forwarded(qb, p, qb.selectFrom('consumed')))
      .with('mailed', (qb) => insertOutbox(qb, p.mails, qb.selectFrom('consumed')))
      .selectFrom('consumed')
      .select('consumed.user_id'),
);

/** A backup code's one statement (TwoFactorStore.consumeBackupCode), prepared as consumeTotpStep. */
const consumeBackup = prepared((db, p: StepStatement & StepEffects & { oldMac: string; nextMac: string; now: Date }) =>
  db
    .with('locked', (qb) => userLocked(qb, p))
    .with('ended', (qb) => ended(qb, p, qb.selectFrom('locked')))
    .with('consumed', (qb) =>
      qb
        .updateTable('backup_codes')
        .set({ code_mac: p.nextMac, created_at: p.now })
        .where('instance_id', '=', p.instanceId)
        .where('user_id', '=', p.userId)
        .where('code_mac', '=', p.oldMac)
        // Used only if the swap's delete found the session or, with no swap, once the user's row is held.
        .where(returnedRow(p.swap ? qb.selectFrom('ended') : qb.selectFrom('locked')))
        .returning('user_id'),
    )
    .with('mailed', (qb) => insertOutbox(qb, p.mails, qb.selectFrom('consumed')))
    .with('audited', (qb) => insertAuditRows(qb, p.audit, qb.selectFrom('consumed')))
    .with('refunded', (qb) => throttleRefundOf(qb, p.addressKeys, qb.selectFrom('consumed')))
    .with('cleared', (qb) => throttleClearOf(qb, p.otherKeys, qb.selectFrom('consumed'), qb.selectFrom('refunded')))
    .with('started', (qb) => started(qb, p, qb.selectFrom('consumed')))
    .selectFrom('consumed')
    .select('consumed.user_id'),
);

/** The login steps' prepared writes, for tests (test/storage/prepared.test.ts compares each with its builder). */
export const loginWrites = { rotateSession, consumeTotpStep, consumeBackup };

/** Users' login-step writes of one instance: a TOTP step, a backup code, an enrolment (TwoFactorStore). */
export function twoFactorStepWrites(
  db: Kysely<Database>,
  instanceId: string,
): Pick<TwoFactorStore, 'consumeStep' | 'confirmEnrolment' | 'consumeBackupCode'> {
  return {
    async consumeStep(userId, { step, secretSealed }, { swap, clearKeys = [], location, audit, mails = [], now }) {
      // Why one conditional UPDATE: the step is accepted once across sessions and processes
      // (RFC 6238 §5.2); everything the success grants happens only if this row changed. Why on
      // the secret the code was checked against: an app replaced since the lookup no longer holds
      // it, so its codes are refused even with a step newer than the new app's (SES-07).
      const rows = await consumeTotpStep.execute(db, {
        instanceId,
        userId,
        swap: swap ? { previousSessionId: swap.previousSessionId, session: sessionRow(instanceId, swap.next) } : null,
        step,
        secretSealed,
        location: location ? knownLocationRow(instanceId, userId, location, now) : null,
        ...splitClearKeys(clearKeys),
        audit: (audit ?? []).map(auditRow),
        mails: mails.map((mail) => outboxRow(instanceId, mail, now)),
      });
      return rows.length === 1;
    },

    async confirmEnrolment(userId, secretSealed, step, swap, location, backup, audit, now) {
      // Why a transaction with the user row locked first (STYLE.md: cold paths lock explicitly):
      // in one statement, two enrolments confirmed at once each saw its own session alive and
      // each ended only the sessions its snapshot held, so both won and both sessions survived
      // (issue 10 item 20). Behind the lock, the statement below starts with a snapshot taken
      // after the other enrolment committed: the session it ended is gone, `alive` is empty.
      return withUserLocked(db, instanceId, userId, async (tx) => {
        // Enrolling is a credential event: every other session and known location of the user ends
        // (SES-07, RD-06); the session that proved the code gets a new id (SES-03).
        // Only while the session that started the setup still exists: a reset that ended it
        // meanwhile wins, and the app is not bound. Every part is gated on `alive`, never on the
        // insert's RETURNING: reading it made PostgreSQL run the parts in another order, and the
        // users row (touched here and by the totp_credentials trigger) lost an update, so the
        // Users-list counters drifted (users-list.test.ts "keeps the counts right when a user sets up at login…").
        const rows = await tx
          .with('alive', (qb) =>
            qb
              .selectFrom('sessions')
              .select('id')
              .where('id', '=', swap.previousSessionId)
              .where('instance_id', '=', instanceId)
              .where('user_id', '=', userId),
          )
          .with('enrolled', (qb) =>
            insertRow(
              qb,
              'totp_credentials',
              { instance_id: instanceId, user_id: userId, secret_sealed: secretSealed, confirmed_at: now, last_used_step: step },
              qb.selectFrom('alive'),
            ).onConflict((oc) =>
              oc.columns(['instance_id', 'user_id']).doUpdateSet((eb) => ({
                secret_sealed: eb.ref('excluded.secret_sealed'),
                confirmed_at: eb.ref('excluded.confirmed_at'),
                last_used_step: eb.ref('excluded.last_used_step'),
              })),
            ),
          )
          .with('enabled', (qb) =>
            qb
              .updateTable('users')
              .set({ two_factor_enabled: true })
              .where('instance_id', '=', instanceId)
              .where('id', '=', userId)
              .where(returnedRow(qb.selectFrom('alive'))),
          )
          .with('ended', (qb) =>
            qb
              .deleteFrom('sessions')
              .where('instance_id', '=', instanceId)
              .where('user_id', '=', userId)
              .where(returnedRow(qb.selectFrom('alive'))),
          )
          .with('forgotten', (qb) =>
            qb
              .deleteFrom('known_locations')
              .where('instance_id', '=', instanceId)
              .where('user_id', '=', userId)
              .where(returnedRow(qb.selectFrom('alive'))),
          )
          .with('located', (qb) =>
            location
              ? insertRow(qb, 'known_locations', knownLocationRow(instanceId, userId, location, now), qb.selectFrom('alive'))
              : nothing(qb),
          )
          .with('coded', (qb) =>
            insertRow(
              qb,
              'backup_codes',
              { instance_id: instanceId, user_id: userId, code_mac: backup.mac, created_at: now },
              qb.selectFrom('alive'),
            ).onConflict((oc) =>
              oc
                .columns(['instance_id', 'user_id'])
                .doUpdateSet((eb) => ({ code_mac: eb.ref('excluded.code_mac'), created_at: eb.ref('excluded.created_at') })),
            ),
          )
          .with('mailed', (qb) => insertOutbox(qb, [outboxRow(instanceId, backup.mail, now)], qb.selectFrom('alive')))
          .with('audited', (qb) => insertAudit(qb, audit, qb.selectFrom('alive')))
          .with('started', (qb) => insertRow(qb, 'sessions', sessionRow(instanceId, swap.next), qb.selectFrom('alive')).returning('id'))
          .selectFrom('started')
          .select('started.id')
          .execute();
        return rows.length === 1;
      });
    },

    async consumeBackupCode(userId, oldMac, next, { swap, clearKeys = [], audit, now }) {
      // Why one statement: the old code stops working, the new one is stored and its mail is
      // queued together; no crash or race can lose the replacement or accept the old code twice.
      const rows = await consumeBackup.execute(db, {
        instanceId,
        userId,
        swap: swap ? { previousSessionId: swap.previousSessionId, session: sessionRow(instanceId, swap.next) } : null,
        oldMac,
        nextMac: next.mac,
        now,
        ...splitClearKeys(clearKeys),
        audit: (audit ?? []).map(auditRow),
        mails: [outboxRow(instanceId, next.mail, now)],
      });
      return rows.length === 1;
    },
  };
}

/**
 * Runs `work` in a transaction (or the caller's) after `select … for no key update` on the user
 * row: credential changes of one user happen one after another (SES-07: an enrolment; the cold
 * paths take the same row's lock through users.lockById). Why not FOR UPDATE: a login step that
 * holds the user's totp_credentials (or backup_codes) row and inserts a session takes FOR KEY
 * SHARE on this row for the foreign key; FOR UPDATE would block it while the enrolment waits for
 * the credential row: a deadlock (PostgreSQL docs, "Row-Level Locks"). NO KEY UPDATE still queues
 * every other enrolment and lockById.
 */
async function withUserLocked<T>(
  db: Kysely<Database>,
  instanceId: string,
  userId: string,
  work: (tx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const locked = async (tx: Kysely<Database>) => {
    await tx.selectFrom('users').select('id').where('instance_id', '=', instanceId).where('id', '=', userId).forNoKeyUpdate().execute();
    return work(tx);
  };
  return db.isTransaction ? locked(db) : db.transaction().execute(locked);
}

/** The operator's login-step writes (operatorSessionLookup adds the lookup of the kernel's session port). */
export function operatorSessionWrites(db: Kysely<Database>): Pick<OperatorSessionStore, 'rotate' | 'consumeStep' | 'confirmEnrolment'> {
  return {
    async rotate(previous, next, { clearKeys, audit }) {
      await db
        .with('ended', (qb) =>
          qb
            .deleteFrom('operator_sessions')
            .where('id', '=', previous?.id ?? '')
            .where('secret_hash', '=', previous?.secretHash ?? ''),
        )
        .with('refunded', (qb) => throttleRefund(qb, clearKeys, null))
        .with('cleared', (qb) => throttleClear(qb, clearKeys, null, qb.selectFrom('refunded')))
        .with('audited', (qb) => insertAudit(qb, audit, null))
        .insertInto('operator_sessions')
        .values(operatorSessionRow(next))
        .execute();
    },
    async consumeStep(operatorId, { step, secretSealed }, swap, { clearKeys, audit, device, unlessHeld = [] }) {
      // The previous session is deleted first and the step used only if that delete found it:
      // two concurrent verifications of one login cannot both win (MFA-09), and a step is used
      // once, only on the secret the code was checked against (an app reset meanwhile: none).
      // Why the operator row first (FOR NO KEY UPDATE, as this statement updates it): the CLI
      // reset and the enrolment take it first too. Without it, a login holding the row made its
      // session while a reset's statement waited for the row, and the reset's delete, reading a
      // snapshot from before the login committed, left that session alive (or the two deadlocked:
      // the reset holding the row, the login its session).
      const now = swap.next.lastSeenAt;
      const row = await db
        .with('locked', (qb) => qb.selectFrom('operators').select('id').where('id', '=', operatorId).forNoKeyUpdate())
        .with('ended', (qb) =>
          qb
            .deleteFrom('operator_sessions')
            .where('id', '=', swap.previousId)
            .where('operator_id', '=', operatorId)
            .where(returnedRow(qb.selectFrom('locked')))
            .returning('id'),
        )
        .with('consumed', (qb) =>
          qb
            .updateTable('operators')
            .set({ totp_last_used_step: step })
            .where('id', '=', operatorId)
            .where('totp_secret_sealed', '=', secretSealed)
            .where(stepIsNew('totp_last_used_step', step))
            .where(returnedRow(qb.selectFrom('ended')))
            .returning('id'),
        )
        .with('refunded', (qb) => throttleRefund(qb, clearKeys, qb.selectFrom('consumed')))
        .with('cleared', (qb) => throttleClear(qb, clearKeys, qb.selectFrom('consumed'), qb.selectFrom('refunded')))
        .with('audited', (qb) => insertAudit(qb, audit, qb.selectFrom('consumed')))
        .with('started', (qb) => insertRow(qb, 'operator_sessions', operatorSessionRow(swap.next), qb.selectFrom('consumed')))
        .with('held', (qb) =>
          qb
            .selectFrom('consumed')
            .select((eb) => eb.lit(1).as('one'))
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('operator_devices')
                    .select(eb.lit(1).as('one'))
                    .where('operator_id', '=', operatorId)
                    .where('expires_at', '>', now)
                    .where('id', 'in', unlessHeld.length > 0 ? unlessHeld : ['']),
                ),
              ),
            ),
        )
        .with('deviced', (qb) =>
          device
            ? insertRow(qb, 'operator_devices', operatorDeviceRow(operatorId, device, now), qb.selectFrom('held')).returning('id')
            : nothing(qb),
        )
        .selectNoFrom((eb) => [
          eb.exists(eb.selectFrom('consumed').select(eb.lit(1).as('one'))).as('used'),
          eb.exists(eb.selectFrom('deviced').select(eb.lit(1).as('one'))).as('stored'),
        ])
        .executeTakeFirstOrThrow();
      return { used: row.used === true, deviceStored: row.stored === true };
    },
    async confirmEnrolment(operatorId, secretSealed, step, swap, audit, device) {
      // Only while the session that started the setup still exists, as for users
      // (twoFactorStepWrites confirmEnrolment): a CLI reset that ended it meanwhile wins, and the
      // app is not bound. Every part is gated on `enrolled`, which is gated on `alive`. The
      // operator's row is locked first, in a transaction: in one statement alone, `alive` was read
      // from a snapshot taken before a concurrent reset committed, and the app was bound after it.
      const now = swap.next.lastSeenAt;
      const enrol = async (tx: Kysely<Database>) => {
        await tx.selectFrom('operators').select('id').where('id', '=', operatorId).forNoKeyUpdate().execute();
        const rows = await tx
          .with('alive', (qb) =>
            qb.selectFrom('operator_sessions').select('id').where('id', '=', swap.previousId).where('operator_id', '=', operatorId),
          )
          .with('enrolled', (qb) =>
            qb
              .updateTable('operators')
              .set({ totp_secret_sealed: secretSealed, totp_last_used_step: step, totp_confirmed_at: now })
              .where('id', '=', operatorId)
              .where('totp_secret_sealed', 'is', null)
              .where(returnedRow(qb.selectFrom('alive')))
              .returning('id'),
          )
          .with('ended', (qb) =>
            qb
              .deleteFrom('operator_sessions')
              .where('operator_id', '=', operatorId)
              .where(returnedRow(qb.selectFrom('enrolled'))),
          )
          .with('audited', (qb) => insertAudit(qb, audit, qb.selectFrom('enrolled')))
          .with('started', (qb) => insertRow(qb, 'operator_sessions', operatorSessionRow(swap.next), qb.selectFrom('enrolled')))
          .with('deviced', (qb) =>
            device ? insertRow(qb, 'operator_devices', operatorDeviceRow(operatorId, device, now), qb.selectFrom('enrolled')) : nothing(qb),
          )
          .selectFrom('enrolled')
          .select('enrolled.id')
          .execute();
        return rows.length === 1;
      };
      return db.isTransaction ? enrol(db) : db.transaction().execute(enrol);
    },
  };
}

/**
 * One conditional UPDATE: a live pending enrolment stays, otherwise the candidate takes its place;
 * every SET expression reads the row as it was, and PostgreSQL re-reads a row another statement
 * changed meanwhile before evaluating them, so racing calls agree on one key.
 */
async function keepPending(
  db: Kysely<Database>,
  table: 'sessions' | 'operator_sessions',
  id: string,
  candidate: { secretSealed: string; expiresAt: Date },
  now: Date,
) {
  const live = sql<boolean>`(pending_totp_secret is not null and pending_totp_expires_at > ${now})`;
  const row = await db
    .updateTable(table)
    .set({
      pending_totp_secret: sql<string>`case when ${live} then pending_totp_secret else ${candidate.secretSealed} end`,
      pending_totp_expires_at: sql<Date>`case when ${live} then pending_totp_expires_at else ${candidate.expiresAt} end`,
    })
    .where('id', '=', id)
    .returning(['pending_totp_secret', 'pending_totp_expires_at'])
    .executeTakeFirst();
  return row?.pending_totp_secret && row.pending_totp_expires_at
    ? { secretSealed: row.pending_totp_secret, expiresAt: new Date(row.pending_totp_expires_at) }
    : null;
}
