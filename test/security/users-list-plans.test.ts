import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { freshPostgresDatabase } from '../support/db.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { createStores } from '../../src/storage/stores.ts';
import type { Database } from '../../src/storage/schema.ts';
import type { UserPageQuery } from '../../src/domain/admin/user-directory.ts';

/** Every relation scanned in a plan, with how. */
function scans(plan: any, out: Array<{ type: string; relation?: string; index?: string }> = []) {
  if (plan['Relation Name'] || plan['Index Name'])
    out.push({ type: plan['Node Type'], relation: plan['Relation Name'], index: plan['Index Name'] });
  for (const child of plan.Plans ?? []) scans(child, out);
  return out;
}

// The Users list at scale: its queries must walk indexes, never scan the users table. The timing
// at a million users is measured in bench/users-list.ts; here the plans are checked on 30,000
// users, enough for PostgreSQL's planner to prefer indexes where they serve.
describe.runIf(process.env.TEST_DATABASE_URL)('Users list query plans on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let pool: pg.Pool;
  let db: Kysely<Database>;
  const captured: CompiledQuery[] = [];
  const instanceId = 'plans-instance';

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (event) => void captured.push(event.query) });
    await migrateToLatest(db);
    await pool.query(`insert into instances (id, slug, name, plan) values ($1, 'plans', 'Plans', 'enterprise')`, [instanceId]);
    // Bulk load without per-row triggers, then the counters in one go (as bench/users-list.ts does).
    await pool.query('alter table users disable trigger user');
    await pool.query(
      `insert into users (id, instance_id, email, email_key, name, role, status, two_factor_enabled, totp_associated)
       select 'u' || g, $1, 'user' || g || '@example.test', 'user' || g || '@example.test', 'User ' || g, 'member', 'active',
              g % 3 <> 0, g % 3 = 1
       from generate_series(1, 30000) g`,
      [instanceId],
    );
    await pool.query('alter table users enable trigger user');
    await pool.query(
      `insert into user_counts select instance_id, two_factor_enabled, totp_associated, count(*) from users group by 1, 2, 3`,
    );
    await pool.query('analyze users');
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  async function planOf(query: Partial<UserPageQuery>) {
    captured.length = 0;
    await createStores(db)
      .forInstance(instanceId)
      .directory.page({ pairs: null, prefix: null, sort: 'email', after: null, limit: 51, ...query });
    const compiled = captured.at(-1)!;
    const { rows } = await pool.query(`explain (format json) ${compiled.sql}`, [...compiled.parameters]);
    return scans(rows[0]['QUERY PLAN'][0].Plan);
  }

  it.each([
    ['the first page', {}],
    ['a page filtered to one status', { pairs: [{ associated: true, enabled: true }] }],
    [
      'a page filtered to two stored pairs (pending under auto-enable)',
      {
        pairs: [
          { associated: false, enabled: true },
          { associated: false, enabled: false },
        ],
      },
    ],
    ['a deep cursor page', { after: { key: 'user9000@example.test', id: 'u9000' } }],
    [
      'a deep filtered cursor page',
      { pairs: [{ associated: false, enabled: false }], after: { key: 'user9000@example.test', id: 'u9000' } },
    ],
    ['a prefix search by email or name', { prefix: 'user123' }],
    // The name order's key and a name prefix are lower-cased in SQL (lower(name), as the index has it).
    ['a deep cursor page in name order', { sort: 'name', after: { key: 'user 9000', id: 'u9000' } }],
    ['a prefix search as typed, in name order', { sort: 'name', prefix: 'User 123' }],
  ] as const)('walks an index for %s', async (_name, query) => {
    const used = await planOf(query as Partial<UserPageQuery>);
    const onUsers = used.filter((s) => s.relation === 'users');
    expect(onUsers.length).toBeGreaterThan(0);
    expect(onUsers.every((s) => s.type.startsWith('Index'))).toBe(true);
    expect(onUsers.every((s) => s.index?.startsWith('users_list_'))).toBe(true);
  });

  it('reads the counts from the counters, not from users', async () => {
    captured.length = 0;
    const counts = await createStores(db).forInstance(instanceId).directory.counts();
    expect(counts.reduce((sum, c) => sum + c.n, 0)).toBe(30000);
    const { rows } = await pool.query(`explain (format json) ${captured.at(-1)!.sql}`, [...captured.at(-1)!.parameters]);
    expect(scans(rows[0]['QUERY PLAN'][0].Plan).some((s) => s.relation === 'users')).toBe(false);
  });
});
