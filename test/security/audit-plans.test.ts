import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { freshPostgresDatabase } from '../support/db.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { createStores } from '../../src/storage/stores.ts';
import type { Database } from '../../src/storage/schema.ts';
import type { AuditQuery } from '../../src/domain/audit/audit-store.ts';

/** Every relation scanned in a plan, with how. */
function scans(plan: any, out: Array<{ type: string; relation?: string; index?: string }> = []) {
  if (plan['Relation Name'] || plan['Index Name'])
    out.push({ type: plan['Node Type'], relation: plan['Relation Name'], index: plan['Index Name'] });
  for (const child of plan.Plans ?? []) scans(child, out);
  return out;
}

// The audit log grows without end: its pages must walk indexes, never scan the table. 200,000
// events in two instances are enough for PostgreSQL's planner to prefer the indexes that serve.
describe.runIf(process.env.TEST_DATABASE_URL)('audit log query plans on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let pool: pg.Pool;
  let db: Kysely<Database>;
  const captured: CompiledQuery[] = [];

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (event) => void captured.push(event.query) });
    await migrateToLatest(db);
    await pool.query(
      `insert into instances (id, slug, name, plan) values ('i1', 'one', 'One', 'enterprise'), ('i2', 'two', 'Two', 'business')`,
    );
    await pool.query(
      `insert into audit_events (instance_id, at, action, actor_type, actor_id, actor_label, target_id, target_label, ip, user_agent, details)
       select case when g % 4 = 0 then 'i2' else 'i1' end, now() - make_interval(secs => g),
              (array['login.succeeded', 'login.failed', 'two_factor.set_up', 'two_factor.reset', 'policy.updated'])[1 + g % 5],
              'user', 'u' || (g % 5000), 'User', 'u' || ((g * 7) % 5000), 'Target', '10.0.0.1', 'UA', '{}'::jsonb
       from generate_series(1, 200000) g`,
    );
    await pool.query('analyze audit_events');
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  async function planOf(query: Partial<AuditQuery>) {
    captured.length = 0;
    const events = await createStores(db, 'postgres').audit.list('i1', { limit: 51, ...query });
    expect(events.length).toBeGreaterThan(0);
    const compiled = captured.at(-1)!;
    const { rows } = await pool.query(`explain (format json) ${compiled.sql}`, [...compiled.parameters]);
    return scans(rows[0]['QUERY PLAN'][0].Plan);
  }

  it.each([
    ['the first page', {}],
    ['a deep cursor page', { before: '150000' }],
    ['a page of one action', { action: 'two_factor.reset' as const }],
    ['a deep page of one action', { action: 'login.failed' as const, before: '100000' }],
    ['the events of one user, as actor or target', { userId: 'u42' }],
    ['a deep page of one user', { userId: 'u42', before: '100000' }],
    ['a date range', { from: new Date(Date.now() - 86400_000), to: new Date(Date.now() - 43200_000) }],
    ['a date range of one user', { userId: 'u42', from: new Date(Date.now() - 365 * 86400_000) }],
  ])('walks an index for %s', async (_name, query) => {
    const used = await planOf(query);
    const onEvents = used.filter((s) => s.relation === 'audit_events' || s.index?.startsWith('audit_events'));
    expect(onEvents.length).toBeGreaterThan(0);
    expect(onEvents.every((s) => s.type.startsWith('Index') || s.type.startsWith('Bitmap'))).toBe(true);
  });
});
