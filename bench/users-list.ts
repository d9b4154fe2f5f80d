/**
 * npm run bench:users — the Users list of one instance with 1,000,000 users on PostgreSQL
 * (BENCH_DATABASE_URL, a server to create a scratch database on). Prints p50/p95 of the first
 * page, a filtered page, a deep cursor page, searches (prefix and a word anywhere), the bounded
 * count of a search's matches and the counts, and the time auto-enable takes.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { createStores } from '../src/storage/stores.ts';
import type { Database } from '../src/storage/schema.ts';
import type { UserPageQuery } from '../src/domain/admin/user-directory.ts';

const USERS = Number(process.env.BENCH_USERS ?? 1_000_000);
const RUNS = 60;
const base = process.env.BENCH_DATABASE_URL;
if (!base) {
  console.error('Set BENCH_DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(1);
}

const name = `keyward_bench_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`create database ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
try {
  await migrateToLatest(db);
  const instanceId = 'bench';
  await pool.query(`insert into instances (id, slug, name, plan) values ($1, 'bench', 'Bench', 'enterprise')`, [instanceId]);
  let started = performance.now();
  await pool.query('alter table users disable trigger user');
  await pool.query(
    `insert into users (id, instance_id, email, email_key, name, role, status, two_factor_enabled, totp_associated)
     select 'u' || g, $1, 'user' || g || '@example.test', 'user' || g || '@example.test', 'User ' || g, 'member', 'active',
            g % 3 <> 0, g % 3 = 1
     from generate_series(1, $2::int) g`,
    [instanceId, USERS],
  );
  await pool.query('alter table users enable trigger user');
  await pool.query(`insert into user_counts select instance_id, two_factor_enabled, totp_associated, count(*) from users group by 1, 2, 3`);
  await pool.query('vacuum analyze users');
  console.log(`loaded ${USERS.toLocaleString('en')} users in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const directory = createStores(db, 'postgres').forInstance(instanceId).directory;
  const deepKey = `user${Math.floor(USERS * 0.9)}@example.test`;
  const deepName = `user ${Math.floor(USERS * 0.9)}`;
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['first page (50)', () => directory.page(query({}))],
    ['filtered page: active', () => directory.page(query({ pairs: [{ associated: true, enabled: true }] }))],
    [
      'filtered page: pending under auto-enable',
      () =>
        directory.page(
          query({
            pairs: [
              { associated: false, enabled: true },
              { associated: false, enabled: false },
            ],
          }),
        ),
    ],
    ['deep cursor page (90%)', () => directory.page(query({ after: { key: deepKey, id: 'x' } }))],
    [
      'deep filtered cursor page',
      () => directory.page(query({ pairs: [{ associated: false, enabled: false }], after: { key: deepKey, id: 'x' } })),
    ],
    ['prefix search', () => directory.page(query({ prefix: 'user99999' }))],
    ['deep cursor page in name order (90%)', () => directory.page(query({ sort: 'name', after: { key: deepName, id: 'x' } }))],
    ['prefix search as typed, name order', () => directory.page(query({ sort: 'name', prefix: 'User 99999' }))],
    // Issue 13: a word anywhere (trigram index, migration 0022), short input as a prefix, and the bounded count.
    ['word inside email or name (few match)', () => directory.page(query({ prefix: 'er99999' }))],
    ['word inside, matching everyone ("example")', () => directory.page(query({ prefix: 'example' }))],
    ['short prefix (2 characters)', () => directory.page(query({ prefix: 'us' }))],
    ['count of matches, few', () => directory.countMatches({ pairs: null, prefix: 'er99999' }, 10_000)],
    ['count of matches, everyone (stops at 10,001)', () => directory.countMatches({ pairs: null, prefix: 'example' }, 10_000)],
    ['counts by status', () => directory.counts()],
  ];
  console.log('case'.padEnd(44), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8));
  for (const [label, run] of cases) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
    console.log(label.padEnd(44), at(0.5).padStart(8), at(0.95).padStart(8));
  }
  started = performance.now();
  await createStores(db, 'postgres').instances.updatePolicy(instanceId, {
    twoFactor: { autoEnable: true, enforceSetup: true, enforceFrom: null, maxPostpones: null },
    password: { minLength: 12, maxAgeDays: null, warnDays: null, historyCount: 0 },
  });
  console.log(
    `auto-enable + enforce for ${USERS.toLocaleString('en')} users: one UPDATE of one row, ${(performance.now() - started).toFixed(2)} ms`,
  );
} finally {
  await db.destroy();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

function query(partial: Partial<UserPageQuery>): UserPageQuery {
  return { pairs: null, prefix: null, sort: 'email', after: null, limit: 51, ...partial };
}
