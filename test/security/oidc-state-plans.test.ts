import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { freshPostgresDatabase } from '../support/db.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { createStores } from '../../src/storage/stores.ts';
import { preparingPool } from '../../src/storage/connect.ts';
import type { Database } from '../../src/storage/schema.ts';

/** Every relation scanned in a plan, with how, and whether a subplan was hashed. */
function nodes(plan: any, out: Array<{ type: string; relation?: string; index?: string; filter?: string }> = []) {
  out.push({ type: plan['Node Type'], relation: plan['Relation Name'], index: plan['Index Name'], filter: plan.Filter });
  for (const child of plan.Plans ?? []) nodes(child, out);
  return out;
}

/** The one index each table is read by: the primary keys (oidc_state's uid index for a find by uid). */
const EXPECTED_INDEX: Record<string, RegExp> = {
  sessions: /^sessions_pkey$/,
  users: /^users_pkey$/,
  oidc_state: /^oidc_state_(pkey|uid_idx)$/,
};

// The provider state lookups of every OpenID Connect request (oidc-state-store.ts) judge the
// keyward session behind a row in the same statement. Their plan must be index lookups of that
// one session and its user, whatever the size of the sessions table: the earlier `or exists`
// form was planned as a hashed SubPlan that read every live session of the database per lookup
// (0.8–1 ms each at 200 users in bench/http.ts, where the tables are small and fresh from a bulk
// load). Checked at that scale, with fresh statistics and after ANALYZE, and at 5,000 sessions,
// where every table must be read by index.
describe.runIf(process.env.TEST_DATABASE_URL)('OpenID Connect state lookups: query plans on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let pool: pg.Pool;
  let db: Kysely<Database>;
  const instanceId = 'plans-instance';
  const now = new Date();

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await migrateToLatest(db);
    await pool.query(`insert into instances (id, slug, name, plan) values ($1, 'plans', 'Plans', 'enterprise')`, [instanceId]);
    // The bench's scale first (bench/http.ts: about 200 users, each with a session).
    await load(1, 200);
    const state = createStores(db, 'postgres').forInstance(instanceId).oidcState;
    await state.upsert('Grant', 'grant-1', { accountId: 'u1' }, null, { grantId: null, uid: null, userCode: null, keywardSessionId: 's1' });
    await state.upsert('Session', 'session-1', { uid: 'uid-1' }, null, {
      grantId: null,
      uid: 'uid-1',
      userCode: null,
      keywardSessionId: 's1',
    });
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  /** Users `u{from..to}`, each with a live session `s{n}` (bulk loaded, without the users triggers). */
  async function load(from: number, to: number) {
    await pool.query('alter table users disable trigger user');
    await pool.query(
      `insert into users (id, instance_id, email, email_key, name, role, status)
       select 'u' || g, $1, 'user' || g || '@example.test', 'user' || g || '@example.test', 'User ' || g, 'member', 'active'
       from generate_series($2::int, $3::int) g`,
      [instanceId, from, to],
    );
    await pool.query('alter table users enable trigger user');
    await pool.query(
      `insert into sessions (id, instance_id, user_id, secret_hash, stage, last_seen_at, expires_at)
       select 's' || g, $1, 'u' || g, 'h' || g, 'done', $2, $3 from generate_series($4::int, $5::int) g`,
      [instanceId, now, new Date(now.getTime() + 3_600_000), from, to],
    );
  }

  /**
   * The plans of a find by id and by uid as keyward's driver runs them: as named prepared
   * statements (connect.ts), each run eight times so PostgreSQL may switch to its generic plan
   * after the fifth; auto_explain hands every executed plan to the client as a notice.
   */
  async function plansOf() {
    const notices: string[] = [];
    const explained = new pg.Pool({ connectionString: database.url, max: 1 });
    explained.on('connect', (client) => {
      client.on('notice', (notice) => void notices.push(notice.message ?? ''));
      void client.query(
        "load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_format = json; set auto_explain.log_level = notice",
      );
    });
    const named = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(explained) }) });
    try {
      const state = createStores(named, 'postgres').forInstance(instanceId).oidcState;
      for (let run = 0; run < 8; run += 1) {
        expect(await state.find('Grant', 'grant-1', now)).not.toBeNull();
        expect(await state.findByUid('Session', 'uid-1', now)).not.toBeNull();
      }
    } finally {
      await named.destroy();
    }
    const plans = notices
      .filter((message) => message.includes('oidc_state'))
      .map((message) => nodes((JSON.parse(message.slice(message.indexOf('{'))) as { Plan: unknown }).Plan));
    expect(plans).toHaveLength(16);
    return plans;
  }

  const hashedSubplans = (plan: ReturnType<typeof nodes>) => plan.filter((node) => node.filter?.includes('hashed SubPlan'));
  const tablesRead = (plan: ReturnType<typeof nodes>) => plan.filter((node) => node.relation !== undefined);

  it('reads one session and one user by primary key, with the statistics of a bulk load', async () => {
    for (const plan of await plansOf()) {
      expect(hashedSubplans(plan)).toEqual([]);
      for (const node of tablesRead(plan)) expect(node.index ?? node.type, node.relation).toMatch(EXPECTED_INDEX[node.relation!]!);
    }
  });

  it('finds the row, its session and its user by index at 5,000 sessions and state rows', async () => {
    await load(201, 5000);
    await pool.query(
      `insert into oidc_state (instance_id, model, id, payload, keyward_session_id)
       select $1, 'Grant', 'grant-' || g, '{}'::jsonb, 's' || g from generate_series(2, 5000) g`,
      [instanceId],
    );
    for (const analysed of [false, true]) {
      if (analysed) await pool.query('analyze users; analyze sessions; analyze oidc_state');
      for (const plan of await plansOf()) {
        expect(hashedSubplans(plan)).toEqual([]);
        for (const node of tablesRead(plan))
          expect(node.index ?? node.type, `${node.relation}, analysed: ${analysed}`).toMatch(EXPECTED_INDEX[node.relation!]!);
      }
    }
  });
});
