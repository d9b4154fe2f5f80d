import { sql, type Kysely } from 'kysely';
import type { OidcPayload, OidcStateStore, OidcStoredState } from '../domain/oidc/oidc-state-store.ts';
import type { Database } from './schema.ts';
import type { MachineTokenStore } from '../domain/oidc/machine-access.ts';
import type { GrantType, MachineScope } from '../domain/oidc/oidc-client.ts';
import { INSTANCE_COLUMNS, toPrefixedInstance } from './rows.ts';
import { lookupTimes } from '../domain/auth/session-rules.ts';
import { USER_PROFILE } from '../domain/auth/profile.ts';
import { prepared } from './prepared.ts';

/** pg and PGlite hand jsonb over parsed; a string would be a driver set up otherwise. */
function toState(row: { payload: unknown; consumed_at: Date | null } | undefined): OidcStoredState | null {
  if (!row) return null;
  const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as OidcPayload;
  return { payload, consumedAt: row.consumed_at && new Date(row.consumed_at) };
}

interface LiveLookup {
  instanceId: string;
  model: string;
  /** The row's id, `uid` or `user_code`, as the query's column says. */
  key: string;
  now: Date;
  idleCutoff: Date;
}

/**
 * A live row of (instance, model) by one of its keys. Why the keyward session is judged here, in
 * the same statement: it is the session of record (issue 12), so a token, code, grant or provider
 * session made from one that ended, for any reason, is no longer found (RFC 7009 §2: revoked;
 * OpenID Connect Back-Channel Logout 1.0 §2.7: the OP's session ended). The same judgement as
 * every request's session lookup (SES-05, SES-06): not past its end, not idle, its user active.
 * The lookup never touches last_seen_at: a relying party refreshing its tokens is no use of
 * keyward by the user.
 *
 * Why left joins on the two primary keys, the instance and the rest checked after: under
 * `keyward_session_id is null or exists (…)` PostgreSQL cannot make the EXISTS a join, and it
 * planned it as a hashed SubPlan, every live session of every user of the database read and
 * hashed for each lookup (auto_explain in bench/http.ts on 2026-12-03: 0.8–1.0 ms per find at 200
 * users, six such finds per OpenID Connect login, growing with the sessions table). Joined on
 * `sessions.id` and `users.id` (primary keys: at most one row each, so the answer is the same row
 * or none), the plan is two primary-key lookups even before the tables were ever analysed; with
 * the instance in the join's key instead, such fresh statistics had it walk every session of the
 * instance through `sessions_user_idx` (0.08 against 0.52 ms, 200 sessions). The sessions row's
 * foreign key holds its user in the same instance; both instances are compared anyway.
 * test/security/oidc-state-plans.test.ts checks the plans.
 */
const liveBy = (column: 'id' | 'uid' | 'user_code') =>
  prepared((db, p: LiveLookup) =>
    db
      .selectFrom('oidc_state as st')
      .leftJoin('sessions as s', 's.id', 'st.keyward_session_id')
      .leftJoin('users as u', 'u.id', 's.user_id')
      .select(['st.payload', 'st.consumed_at'])
      .where('st.instance_id', '=', p.instanceId)
      .where('st.model', '=', p.model)
      .where(`st.${column}` as const, '=', p.key)
      .where((eb) => eb.or([eb('st.expires_at', 'is', null), eb('st.expires_at', '>', p.now)]))
      .where((eb) =>
        eb.or([
          eb('st.keyward_session_id', 'is', null),
          eb.and([
            eb('s.instance_id', '=', eb.ref('st.instance_id')),
            eb('s.expires_at', '>', p.now),
            eb('s.last_seen_at', '>', p.idleCutoff),
            eb('u.instance_id', '=', eb.ref('s.instance_id')),
            eb('u.status', '=', 'active'),
          ]),
        ]),
      )
      .limit(1),
  );
const findById = liveBy('id');
const findByUid = liveBy('uid');
const findByUserCode = liveBy('user_code');

/**
 * The upsert of a row. Its keyward session: the one named, else the one of the row's grant (a
 * token made at the token endpoint, where no browser and no keyward cookie is, inherits it:
 * `ofGrant`, a boolean and so part of the prepared shape), else the row's own. The update takes
 * the inserted values (`excluded`): the payload travels once.
 */
const upsertState = prepared(
  (
    db,
    p: {
      instanceId: string;
      model: string;
      id: string;
      payload: string;
      grantId: string | null;
      uid: string | null;
      userCode: string | null;
      expiresAt: Date | null;
      keywardSessionId: string | null;
      ofGrant: boolean;
    },
  ) => {
    const inherited = p.ofGrant
      ? sql<string | null>`(select g.keyward_session_id from oidc_state g
        where g.instance_id = ${p.instanceId} and g.model = 'Grant' and g.id = ${p.grantId})`
      : sql<string | null>`null::text`;
    return db
      .insertInto('oidc_state')
      .values({
        instance_id: p.instanceId,
        model: p.model,
        id: p.id,
        payload: p.payload,
        grant_id: p.grantId,
        uid: p.uid,
        user_code: p.userCode,
        expires_at: p.expiresAt,
        consumed_at: null,
        keyward_session_id: sql<string | null>`coalesce(${p.keywardSessionId}::text, ${inherited})`,
      })
      .onConflict((oc) =>
        oc.columns(['instance_id', 'model', 'id']).doUpdateSet({
          payload: sql<string>`excluded.payload`,
          grant_id: sql<string | null>`excluded.grant_id`,
          uid: sql<string | null>`excluded.uid`,
          user_code: sql<string | null>`excluded.user_code`,
          expires_at: sql<Date | null>`excluded.expires_at`,
          consumed_at: null,
          keyward_session_id: sql<string | null>`coalesce(excluded.keyward_session_id, oidc_state.keyward_session_id)`,
        }),
      );
  },
);

const consumeState = prepared((db, p: { instanceId: string; model: string; id: string; now: Date }) =>
  db
    .updateTable('oidc_state')
    .set({ consumed_at: p.now })
    .where('instance_id', '=', p.instanceId)
    .where('model', '=', p.model)
    .where('id', '=', p.id)
    .where('consumed_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', p.now)]))
    .returning('id'),
);

const destroyState = prepared((db, p: { instanceId: string; model: string; id: string }) =>
  db.deleteFrom('oidc_state').where('instance_id', '=', p.instanceId).where('model', '=', p.model).where('id', '=', p.id),
);

/**
 * oidc-provider's adapter state of one instance: `instance_id` is in every statement. Prepared
 * (storage/prepared.ts): an OpenID Connect login runs about twenty of these, and building and
 * compiling each with Kysely on every request is CPU spent on SQL that never changes.
 */
export function oidcStateStore(db: Kysely<Database>, instanceId: string): OidcStateStore {
  const lookup = (model: string, key: string, now: Date): LiveLookup => ({
    instanceId,
    model,
    key,
    now,
    idleCutoff: lookupTimes(USER_PROFILE, now).idleCutoff,
  });
  return {
    async upsert(model, id, payload, expiresAt, refs) {
      await upsertState.execute(db, {
        instanceId,
        model,
        id,
        payload: JSON.stringify(payload),
        grantId: refs.grantId,
        uid: refs.uid,
        userCode: refs.userCode,
        expiresAt,
        keywardSessionId: refs.keywardSessionId ?? null,
        ofGrant: refs.keywardSessionId === undefined,
      });
    },
    async find(model, id, now) {
      return toState(await findById.executeTakeFirst(db, lookup(model, id, now)));
    },
    async findByUid(model, uid, now) {
      return toState(await findByUid.executeTakeFirst(db, lookup(model, uid, now)));
    },
    async findByUserCode(model, userCode, now) {
      return toState(await findByUserCode.executeTakeFirst(db, lookup(model, userCode, now)));
    },
    async consume(model, id, now) {
      return (await consumeState.executeTakeFirst(db, { instanceId, model, id, now })) !== undefined;
    },
    async destroy(model, id) {
      await destroyState.execute(db, { instanceId, model, id });
    },
    async revokeByGrantId(grantId) {
      await db.deleteFrom('oidc_state').where('instance_id', '=', instanceId).where('grant_id', '=', grantId).execute();
    },
  };
}

/** Deletes every instance's expired provider state; housekeeping's statement, as a CTE. */
export const expiredOidcStateSql = (now: Date) => sql`delete from oidc_state where expires_at <= ${now} returning 1`;

/**
 * The live client_credentials tokens of every instance (domain/oidc/machine-access.ts): the state
 * row, its instance and its client in one statement. The client is joined on the row's own
 * instance_id, so a token finds only a client of the instance whose provider issued it.
 */
export function machineTokenStore(db: Kysely<Database>): MachineTokenStore {
  return {
    async findLive(tokenId, now) {
      const rows = await db
        .selectFrom('oidc_state as s')
        .innerJoin('oidc_clients as c', (join) =>
          join.onRef('c.instance_id', '=', 's.instance_id').on('c.client_id', '=', sql<string>`s.payload->>'clientId'`),
        )
        .innerJoin('instances as i', 'i.id', 's.instance_id')
        .select([
          's.instance_id',
          'c.client_id',
          'c.name as c_name',
          'c.grant_types',
          'c.scopes',
          sql<string | null>`s.payload->>'scope'`.as('scope'),
        ])
        .select(INSTANCE_COLUMNS.map((c) => `i.${c} as i_${c}` as const))
        .where('s.model', '=', 'ClientCredentials')
        .where('s.id', '=', tokenId)
        .where('s.consumed_at', 'is', null)
        .where('s.expires_at', '>', now)
        .limit(2)
        .execute();
      // Why refuse two: ids are 256 random bits per token, but the key is (instance, model, id);
      // a token must name one instance only, or it names none (no cross-instance confusion).
      if (rows.length !== 1) return null;
      const row = rows[0]!;
      return {
        instance: toPrefixedInstance(row.instance_id, row),
        client: {
          clientId: row.client_id,
          name: row.c_name,
          grantTypes: jsonList<GrantType>(row.grant_types),
          scopes: jsonList<MachineScope>(row.scopes),
        },
        scope: row.scope ?? '',
      };
    },
  };
}

const jsonList = <T>(value: unknown): T[] => (typeof value === 'string' ? JSON.parse(value) : value) as T[];
