/**
 * npm run bench: login throughput as a ratio of the machine's raw argon2id rate, both measured
 * in this run on this machine (absolute numbers on a shared machine mean little).
 *
 *   ceiling  = argon2id verifications per second at the hasher's concurrency (one per core)
 *   login    = successful password logins per second through the HTTP app (inject, no sockets)
 *   ratio    = login / ceiling; the target is ≥ 0.85 (each login costs one argon2id + ~2 statements)
 *
 * BENCH_DATABASE_URL runs the login part on PostgreSQL instead of PGlite.
 */
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../src/crypto/password.ts';
import { Semaphore } from '../src/crypto/semaphore.ts';
import { openDatabase } from '../src/storage/connect.ts';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { testDeps, givenInstance, givenUser, PASSWORD, ORIGIN } from '../test/support/deps.ts';
import { testApp } from '../test/support/app.ts';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const CLIENTS = 8;

async function ceiling(): Promise<number> {
  const stored = await hash(PASSWORD, ARGON2_OPTIONS);
  const gate = new Semaphore(availableParallelism());
  const started = performance.now();
  await Promise.all(Array.from({ length: LOGINS }, () => gate.run(() => verify(stored, PASSWORD))));
  return LOGINS / ((performance.now() - started) / 1000);
}

async function loginRate(): Promise<{ rate: number; engine: string }> {
  const url = process.env.BENCH_DATABASE_URL;
  const database = await openDatabase(url ? { kind: 'postgres', url } : { kind: 'pglite-memory' });
  await migrateToLatest(database.db);
  const deps = await testDeps(database);
  const app = await testApp(deps);
  const { instance } = await givenInstance(deps);
  const users = [];
  for (let i = 0; i < CLIENTS; i += 1) users.push(await givenUser(deps, instance, `bench-${i}-${instance.slug}@example.test`));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    users.map(async (user) => {
      while (next < LOGINS) {
        next += 1;
        const response = await app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { origin: ORIGIN },
          payload: { instance: instance.slug, email: user.email, password: PASSWORD },
        });
        if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`);
      }
    }),
  );
  const rate = LOGINS / ((performance.now() - started) / 1000);
  await app.close();
  await database.close();
  return { rate, engine: database.engine };
}

const raw = await ceiling();
const login = await loginRate();
const rawAgain = await ceiling();
const ceilingRate = Math.max(raw, rawAgain);
console.log(`cores: ${availableParallelism()}, logins: ${LOGINS}, clients: ${CLIENTS}, engine: ${login.engine}`);
console.log(`argon2id ceiling: ${ceilingRate.toFixed(1)}/s (runs: ${raw.toFixed(1)}, ${rawAgain.toFixed(1)})`);
console.log(`password login:   ${login.rate.toFixed(1)}/s`);
console.log(`ratio: ${(login.rate / ceilingRate).toFixed(2)} (target ≥ 0.85)`);
