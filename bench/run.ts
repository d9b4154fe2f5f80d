/**
 * npm run bench: login throughput as a ratio of the machine's raw argon2id rate, both measured
 * in this run on this machine (absolute numbers on a shared machine mean little).
 *
 *   ceiling  = argon2id verifications per second at the hasher's concurrency (one per core)
 *   login    = full logins per second through the HTTP app (inject, no sockets): the password step
 *              and the TOTP step from a new location, each user once (a code is accepted once)
 *   ratio    = login / ceiling; the target is ≥ 0.85 (a login costs one argon2id + 6 statements)
 *
 * BENCH_DATABASE_URL runs the login part on PostgreSQL instead of PGlite. BENCH_NO_HASH=1 is a
 * diagnostic: password checks answer at once, so the rate is what everything but argon2id allows.
 */
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../src/crypto/password.ts';
import { Semaphore } from '../src/crypto/semaphore.ts';
import { openDatabase } from '../src/storage/connect.ts';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { testDeps, givenInstance, givenUser, PASSWORD } from '../test/support/deps.ts';
import { Client, testApp } from '../test/support/app.ts';
import { fromBase32, totp } from '../src/crypto/totp.ts';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const NO_HASH = process.env.BENCH_NO_HASH === '1';
type PasswordVerify = (storedHash: string, password: string) => Promise<boolean>;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);

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
  // Each user enrolled with an authenticator app (setup costs one argon2id each, outside the timing).
  const users: Array<{ email: string; secret: Buffer }> = [];
  for (let i = 0; i < LOGINS; i += 1) {
    const user = await givenUser(deps, instance, `bench-${i}-${instance.slug}@example.test`);
    const client = new Client(app);
    await client.login(instance.slug, user.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    // A full session binds an app only with its password (issue 10: re-authentication).
    const { secret } = (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json();
    await client.post('/api/v1/auth/setup/confirm', { code: totp(fromBase32(secret), deps.clock.now()) });
    users.push({ email: user.email, secret: fromBase32(secret) });
  }
  deps.clock.advanceSeconds(30);
  if (NO_HASH) (deps.hasher as { verify: PasswordVerify }).verify = async () => true;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < users.length) {
        const user = users[next++]!;
        const client = new Client(app);
        const login = await client.login(instance.slug, user.email, PASSWORD);
        if (login.json().next !== 'verify') throw new Error(`login failed: ${login.body}`);
        const verify = await client.post('/api/v1/auth/verify', { code: totp(user.secret, deps.clock.now()) });
        if (verify.statusCode !== 200) throw new Error(`verify failed: ${verify.body}`);
      }
    }),
  );
  const rate = LOGINS / ((performance.now() - started) / 1000);
  await app.close();
  await database.close();
  return { rate, engine: database.engine };
}

if (NO_HASH) {
  const login = await loginRate();
  console.log(`cores: ${availableParallelism()}, logins: ${LOGINS}, clients: ${CLIENTS}, engine: ${login.engine}`);
  console.log(`password + TOTP login without argon2id (BENCH_NO_HASH): ${login.rate.toFixed(1)}/s`);
  process.exit(0);
}
const raw = await ceiling();
const login = await loginRate();
const rawAgain = await ceiling();
const ceilingRate = Math.max(raw, rawAgain);
console.log(`cores: ${availableParallelism()}, logins: ${LOGINS}, clients: ${CLIENTS}, engine: ${login.engine}`);
console.log(`argon2id ceiling: ${ceilingRate.toFixed(1)}/s (runs: ${raw.toFixed(1)}, ${rawAgain.toFixed(1)})`);
console.log(`password + TOTP login: ${login.rate.toFixed(1)}/s`);
console.log(`ratio: ${(login.rate / ceilingRate).toFixed(2)} (target ≥ 0.85)`);
