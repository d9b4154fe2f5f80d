/**
 * npm run bench:upkeep — how long the embedded engine's table upkeep holds its one connection
 * (HousekeepingStore.upkeepTables: PGlite has no autovacuum). In a scratch data dir on disk, as a
 * server's: one instance with BENCH_USERS users (100,000) and a session each, then the time of an
 * ANALYZE of users, of the first VACUUM of sessions (every page seen for the first time), of a
 * VACUUM of sessions after a login churn of 30 % (each login step deletes and inserts its session),
 * of one housekeeping upkeep run after the same churn, and of the first upkeep run after a restart
 * (every table, PGlite's statistics being empty then).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../src/storage/connect.ts';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { createStores } from '../src/storage/stores.ts';
import { benchMachineLine } from '../test/support/db.ts';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const CHURN = Math.round(USERS * 0.3);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-upkeep-'));
console.log(benchMachineLine(`, PGlite in ${dataDir}, ${USERS.toLocaleString('en')} users`));
let database = await openDatabase({ kind: 'pglite', dataDir });
let { db } = database;

/** Runs `work` and prints how long it took. */
async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await work();
  console.log(label.padEnd(56), `${(performance.now() - started).toFixed(0).padStart(7)} ms`);
}

/** One HousekeepingStore.upkeepTables, with the time it reports and what it did. */
async function upkeep(label: string): Promise<void> {
  const done = await createStores(db, database.engine).housekeeping.upkeepTables();
  const list = (tables: string[]) => (tables.length <= 4 ? tables.join(', ') || 'none' : `${tables.length} tables`);
  console.log(label.padEnd(56), `${String(done.ms).padStart(7)} ms`, `(vacuumed ${list(done.vacuumed)}; analyzed ${list(done.analyzed)})`);
}

/** The sessions table's files (heap and indexes), in MB. */
async function sessionsMb(): Promise<string> {
  const { rows } = await sql<{ bytes: number }>`select pg_total_relation_size('sessions')::float8 as bytes`.execute(db);
  return (rows[0]!.bytes / 1e6).toFixed(1);
}

/** Deletes `count` sessions and inserts as many (new ids), as the login steps do. */
async function churn(round: number): Promise<void> {
  await sql`delete from sessions where id in (select id from sessions order by id limit ${CHURN})`.execute(db);
  await sql`
    insert into sessions (id, instance_id, user_id, secret_hash, stage, last_seen_at, expires_at)
    select 's' || ${round}::text || '-' || g, 'bench', 'u' || g, md5(g::text), 'done', now(), now() + interval '12 hours'
    from generate_series(1, ${CHURN}::int) g`.execute(db);
}

try {
  await migrateToLatest(db);
  await sql`insert into instances (id, slug, name, plan) values ('bench', 'bench', 'Bench', 'enterprise')`.execute(db);
  await timed(`load ${USERS.toLocaleString('en')} users and a session each`, async () => {
    await sql`
      insert into users (id, instance_id, email, email_key, name, role, status, two_factor_enabled, totp_associated)
      select 'u' || g, 'bench', 'user' || g || '@example.test', 'user' || g || '@example.test', 'User ' || g, 'member', 'active', true, g % 3 = 1
      from generate_series(1, ${USERS}::int) g`.execute(db);
    await sql`
      insert into sessions (id, instance_id, user_id, secret_hash, stage, last_seen_at, expires_at)
      select 's0-' || g, 'bench', 'u' || g, md5(g::text), 'done', now(), now() + interval '12 hours'
      from generate_series(1, ${USERS}::int) g`.execute(db);
  });
  await timed('analyze users', () => sql`analyze users`.execute(db));
  await timed('analyze users (again)', () => sql`analyze users`.execute(db));
  await timed('vacuum sessions (first: every page new)', () => sql`vacuum sessions`.execute(db));
  await upkeep('first housekeeping upkeep of the process');
  console.log(`sessions: ${await sessionsMb()} MB`);
  await churn(1);
  console.log(`sessions after a ${CHURN.toLocaleString('en')}-session churn: ${await sessionsMb()} MB`);
  await timed(`vacuum sessions (after the churn)`, () => sql`vacuum sessions`.execute(db));
  await churn(2);
  console.log(`sessions after a second churn: ${await sessionsMb()} MB (the first's dead rows' space reused)`);
  await upkeep('housekeeping upkeep after the second churn');
  await upkeep('housekeeping upkeep again (nothing due)');
  await database.close();
  database = await openDatabase({ kind: 'pglite', dataDir });
  db = database.db;
  await upkeep('first housekeeping upkeep after a restart');
} finally {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
