import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { freshPostgresDatabase } from '../support/db.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { openDatabase } from '../../src/storage/connect.ts';
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
    await createStores(db, 'postgres')
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
    // Fewer than three characters have no trigram: a prefix range on each field's btree index.
    ['a short prefix search by email or name', { prefix: 'us' }],
    // The name order's key and a name prefix are lower-cased in SQL (lower(name), as the index has it).
    ['a deep cursor page in name order', { sort: 'name', after: { key: 'user 9000', id: 'u9000' } }],
    ['a short prefix search as typed, in name order', { sort: 'name', prefix: 'Us' }],
  ] as const)('walks an index for %s', async (_name, query) => {
    const used = await planOf(query as Partial<UserPageQuery>);
    const onUsers = used.filter((s) => s.relation === 'users');
    expect(onUsers.length).toBeGreaterThan(0);
    expect(onUsers.every((s) => s.type.startsWith('Index'))).toBe(true);
    expect(onUsers.every((s) => s.index?.startsWith('users_list_'))).toBe(true);
  });

  // Issue 13: a word anywhere in the name or email (three characters or more) is a trigram index
  // lookup (migration 0022), never a scan of the instance's users.
  it.each([
    ['a word inside the email or name', { prefix: 'er2345' }],
    ['a word inside the email or name, in name order', { sort: 'name', prefix: 'ER 2345' }],
    ['a word inside, filtered to one status', { prefix: 'er2345', pairs: [{ associated: true, enabled: true }] }],
  ] as const)('uses the trigram index for %s', async (_name, query) => {
    const used = await planOf(query as Partial<UserPageQuery>);
    const onUsers = used.filter((s) => s.relation === 'users' || s.index?.startsWith('users_'));
    expect(
      onUsers.some((s) => s.index === 'users_search_trgm_idx'),
      JSON.stringify(used),
    ).toBe(true);
    expect(
      onUsers.some((s) => s.type === 'Seq Scan'),
      JSON.stringify(used),
    ).toBe(false);
  });

  it('counts a search’s matches on the trigram index, bounded', async () => {
    captured.length = 0;
    const directory = createStores(db, 'postgres').forInstance(instanceId).directory;
    expect(await directory.countMatches({ pairs: null, prefix: 'user2345' }, 10_000)).toBe(11);
    const compiled = captured.at(-1)!;
    const { rows } = await pool.query(`explain (format json) ${compiled.sql}`, [...compiled.parameters]);
    const used = scans(rows[0]['QUERY PLAN'][0].Plan);
    expect(
      used.some((s) => s.index === 'users_search_trgm_idx'),
      JSON.stringify(used),
    ).toBe(true);
    expect(
      used.some((s) => s.type === 'Seq Scan'),
      JSON.stringify(used),
    ).toBe(false);
    // Everyone matches "example": the count stops at the cap plus one.
    expect(await directory.countMatches({ pairs: null, prefix: 'example' }, 10_000)).toBe(10_001);
  });

  // Why: a prepared statement is planned generically from its sixth run on when the generic plan's
  // estimate is no dearer, and the word search's generic plan (no pattern known: the default LIKE
  // selectivity) walked users_list_email_idx or users_list_name_idx filtering every row instead of
  // the trigram index: PostgreSQL 15 chose it from the sixth search on one connection. The list's
  // statements are therefore sent unnamed (connect.ts PLANNED_PER_RUN), planned for their values
  // each time, as the plans above are.
  it('plans the list’s pages and counts for their values on every run, through the server’s pool', async () => {
    const handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 1 });
    try {
      const directory = createStores(handle.db, handle.engine).forInstance(instanceId).directory;
      const queries: Array<Partial<UserPageQuery>> = [
        {},
        { prefix: 'us' },
        { prefix: 'er2345' },
        { sort: 'name', prefix: 'ER 2345' },
        { prefix: 'er2345', pairs: [{ associated: true, enabled: true }] },
      ];
      for (let run = 0; run < 7; run += 1) {
        for (const query of queries) {
          const page = await directory.page({ pairs: null, prefix: null, sort: 'email', after: null, limit: 51, ...query });
          expect(page.length).toBeGreaterThan(0);
        }
        expect(await directory.countMatches({ pairs: null, prefix: 'user2345' }, 10_000)).toBe(11);
        await directory.counts();
      }
      const { rows } = await sql<{ statement: string; generic_plans: number }>`
        select statement, generic_plans from pg_prepared_statements`.execute(handle.db);
      // The counters' read is an ordinary prepared statement: the check sees what the pool prepares.
      expect(rows.some((row) => row.statement.includes('"user_counts"'))).toBe(true);
      expect(rows.filter((row) => /\bfrom users\b/.test(row.statement))).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it('reads the counts from the counters, not from users', async () => {
    captured.length = 0;
    const counts = await createStores(db, 'postgres').forInstance(instanceId).directory.counts();
    expect(counts.reduce((sum, c) => sum + c.n, 0)).toBe(30000);
    const { rows } = await pool.query(`explain (format json) ${captured.at(-1)!.sql}`, [...captured.at(-1)!.parameters]);
    expect(scans(rows[0]['QUERY PLAN'][0].Plan).some((s) => s.relation === 'users')).toBe(false);
  });
});
