/**
 * Ten thousand instances on one PostgreSQL (issue 15, docs/operations.md "Sizing and scaling"):
 * what grows with the number of tenants, measured. Creates BENCH_INSTANCES instances (default
 * 10,000; each with its administrator, as `keyward instance create` makes them) in a database of
 * its own, then times, through the real app (inject) and the real stores:
 *   - a password login on the first, a middle and the last instance created (the slug lookup);
 *   - OpenID Connect discovery on 300 distinct instances: a provider is built on first use and
 *     kept in an LRU of 100, so most of these build one; then again on the 100 kept;
 *   - one housekeeping run (adoption snapshot of every instance, reminders, deletions);
 *   - the 2FA adoption read of the metrics (in total, and the 100 largest instances);
 * and prints the database's size and the process's resident memory.
 *
 *   npx tsx bench/instances.ts        (BENCH_DATABASE_URL, TEST_DATABASE_URL or 127.0.0.1:5432)
 */
import os from 'node:os';
import { sql } from 'kysely';
import { openDatabase } from '../src/storage/connect.ts';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { runHousekeeping, readTwoFactorAdoption } from '../src/domain/maintenance/clean-up.ts';
import { testApp } from '../test/support/app.ts';
import { givenInstance, PASSWORD, testDeps } from '../test/support/deps.ts';
import { freshPostgresDatabase } from '../test/support/db.ts';
import type { Instance } from '../src/domain/instance/instance.ts';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 10_000);
const base = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
async function timed(times: number, work: (i: number) => Promise<void>): Promise<{ p50: number; p95: number }> {
  const durations: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    await work(i);
    durations.push(performance.now() - started);
  }
  return { p50: percentile(durations, 50), p95: percentile(durations, 95) };
}
const ms = (t: { p50: number; p95: number }) => `${t.p50.toFixed(1)} / ${t.p95.toFixed(1)} ms (p50 / p95)`;

const fresh = await freshPostgresDatabase('keyward_bench_instances', base);
const database = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 4 });
try {
  await migrateToLatest(database.db);
  const deps = await testDeps(database);
  const app = await testApp(deps);
  console.log(
    `${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, load ${os.loadavg()[0]!.toFixed(1)}; ${INSTANCES} instances`,
  );

  const instances: Instance[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < INSTANCES) {
        next += 1;
        instances.push((await givenInstance(deps)).instance);
      }
    }),
  );
  console.log(`created ${instances.length} instances with an administrator each in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  // A login's password step: first, middle and last instance (the slug is looked up by its unique index).
  for (const [label, instance] of [
    ['first', instances[0]!],
    ['middle', instances[Math.floor(instances.length / 2)]!],
    ['last', instances[instances.length - 1]!],
  ] as const) {
    const time = await timed(30, async () => {
      const answer = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { origin: deps.publicUrl },
        payload: { instance: instance.slug, email: `admin@${instance.slug}.test`, password: PASSWORD },
      });
      if (answer.statusCode !== 200) throw new Error(`login: ${answer.statusCode} ${answer.body}`);
    });
    console.log(`password login on the ${label} instance: ${ms(time)} (one argon2id each)`);
  }

  const discovery = (instance: Instance) => async () => {
    const answer = await app.inject({ method: 'GET', url: `/i/${instance.slug}/.well-known/openid-configuration` });
    if (answer.statusCode !== 200) throw new Error(`discovery: ${answer.statusCode}`);
  };
  const spread = Array.from({ length: 300 }, (_, i) => instances[Math.floor((i * instances.length) / 300)]!);
  const rssBefore = process.memoryUsage().rss;
  console.log(
    `OIDC discovery, 300 distinct instances (a provider and its first signing key built for each): ${ms(await timed(300, (i) => discovery(spread[i]!)()))}`,
  );
  const kept = spread.slice(-100);
  console.log(`OIDC discovery, the 100 kept in the LRU: ${ms(await timed(100, (i) => discovery(kept[i]!)()))}`);
  const evicted = spread.slice(0, 100);
  console.log(
    `OIDC discovery, 100 instances evicted from the LRU (rebuilt, keys exist): ${ms(await timed(100, (i) => discovery(evicted[i]!)()))}`,
  );

  console.log(
    `resident memory after 300 providers: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(0)} MiB more)`,
  );

  const housekeeping = await timed(1, async () => {
    await runHousekeeping(deps, 0);
  });
  console.log(`one housekeeping run over ${instances.length} instances: ${housekeeping.p50.toFixed(0)} ms`);
  console.log(`the metrics' 2FA adoption read, in total: ${ms(await timed(20, () => readTwoFactorAdoption(deps, false).then(() => {})))}`);
  console.log(`the same with the 100 largest instances: ${ms(await timed(20, () => readTwoFactorAdoption(deps, true).then(() => {})))}`);
  const size = await sql<{ size: string }>`select pg_size_pretty(pg_database_size(current_database())) as size`.execute(database.db);
  console.log(`database size: ${size.rows[0]!.size}`);
  await app.close();
} finally {
  await database.close();
  await fresh.drop();
}
process.exit(0);
