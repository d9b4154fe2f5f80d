/**
 * npm run bench: login throughput as a ratio of the machine's raw argon2id rate, both measured
 * in this run on this machine (absolute numbers on a shared machine mean little).
 *
 *   ceiling  = argon2id verifications per second at the hasher's concurrency (one per core)
 *   login    = full logins per second through the HTTP app (inject, no sockets): the password step
 *              and the TOTP step from a new location, each user once (a code is accepted once)
 *   ratio    = login / ceiling; the target is ≥ 0.85 (a login costs one argon2id + 6 statements)
 *
 * Each phase also reports the CPU it used per login (this process, argon2id's threads included;
 * on PostgreSQL also the server's backends, when they run on this machine): CPU time is what a
 * login really costs, and it moves much less than rates do when other work shares the machine.
 *
 * BENCH_DATABASE_URL runs the login part on PostgreSQL instead of PGlite. BENCH_NO_HASH=1 is a
 * diagnostic: password checks answer at once, so the rate is what everything but argon2id allows.
 * BENCH_CPU_PROFILE=file.cpuprofile writes a V8 CPU profile of the timed logins only (set-up
 * excluded); `npx tsx bench/profile-summary.ts file.cpuprofile` sums it by package and file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import { ARGON2_OPTIONS, type HashSlot, type PasswordHasher } from '../src/crypto/password.ts';
import { Semaphore } from '../src/crypto/semaphore.ts';
import { openDatabase, type DatabaseHandle } from '../src/storage/connect.ts';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { testDeps, givenInstance, givenUser, PASSWORD } from '../test/support/deps.ts';
import { Client, testApp } from '../test/support/app.ts';
import { fromBase32, totp } from '../src/crypto/totp.ts';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const NO_HASH = process.env.BENCH_NO_HASH === '1';
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const PROFILE = process.env.BENCH_CPU_PROFILE;

interface Phase {
  seconds: number;
  /** CPU of this process (all its threads), ms. */
  processCpuMs: number;
  /** CPU of the database server's backends of this run, ms (null: not measurable, or PGlite). */
  databaseCpuMs: number | null;
}

/** Runs `work`, timing it and counting the CPU it used here and (if readable) in the server backends. */
async function measured(work: () => Promise<void>, database?: DatabaseHandle): Promise<Phase> {
  const backends = database?.engine === 'postgres' ? await backendPids(database) : null;
  const serverBefore = backends && backendCpuMs(backends);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const after = backends && (await backendPids(database!));
  const serverAfter = after && backendCpuMs(after);
  const databaseCpuMs =
    serverBefore && serverAfter ? [...serverAfter].reduce((sum, [pid, ms]) => sum + ms - (serverBefore.get(pid) ?? 0), 0) : null;
  return { seconds, processCpuMs: (cpu.user + cpu.system) / 1000, databaseCpuMs };
}

/** The backends serving this database (ours: the bench has a database of its own). */
async function backendPids(database: DatabaseHandle): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(database.db);
  return rows.map((r) => r.pid);
}

/** utime + stime of each pid from /proc (null when the server is on another machine). */
function backendCpuMs(pids: number[]): Map<number, number> | null {
  const ticksPerMs = 100 / 1000; // USER_HZ, 100 on Linux
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerMs);
    } catch {
      return null;
    }
  }
  return cpu;
}

async function ceiling(): Promise<{ rate: number; cpuMs: number }> {
  const stored = await hash(PASSWORD, ARGON2_OPTIONS);
  const gate = new Semaphore(availableParallelism());
  const phase = await measured(async () => {
    await Promise.all(Array.from({ length: LOGINS }, () => gate.run(() => verify(stored, PASSWORD))));
  });
  return { rate: LOGINS / phase.seconds, cpuMs: phase.processCpuMs / LOGINS };
}

async function loginRate(): Promise<{ rate: number; engine: string; cpuMs: number; databaseCpuMs: number | null }> {
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
  if (NO_HASH) skipHashing(deps.hasher);
  let next = 0;
  const profiler = PROFILE ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const phase = await measured(async () => {
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
  }, database);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(PROFILE!, JSON.stringify(profile));
    profiler.disconnect();
  }
  await app.close();
  await database.close();
  return {
    rate: LOGINS / phase.seconds,
    engine: database.engine,
    cpuMs: phase.processCpuMs / LOGINS,
    databaseCpuMs: phase.databaseCpuMs === null ? null : phase.databaseCpuMs / LOGINS,
  };
}

/**
 * Password checks answer "correct" at once. The stand-in keeps the hasher's contract: a verify
 * given a place in the hashing queue gives it back (PasswordHasher.verify), or the queue fills
 * up after a few dozen logins and the rest are refused as server_busy.
 */
function skipHashing(hasher: PasswordHasher): void {
  const skipped = { verify: async (_stored: string, _password: string, slot?: HashSlot) => (slot && hasher.release(slot), true) };
  Object.assign(hasher, skipped);
}

const cpu = (login: { cpuMs: number; databaseCpuMs: number | null }) =>
  `${login.cpuMs.toFixed(2)} ms CPU per login in this process` +
  (login.databaseCpuMs === null ? '' : ` + ${login.databaseCpuMs.toFixed(2)} ms in the server`);

if (NO_HASH) {
  const login = await loginRate();
  console.log(`cores: ${availableParallelism()}, logins: ${LOGINS}, clients: ${CLIENTS}, engine: ${login.engine}`);
  console.log(`password + TOTP login without argon2id (BENCH_NO_HASH): ${login.rate.toFixed(1)}/s, ${cpu(login)}`);
  process.exit(0);
}
const raw = await ceiling();
const login = await loginRate();
const rawAgain = await ceiling();
const ceilingRate = Math.max(raw.rate, rawAgain.rate);
const hashCpuMs = Math.min(raw.cpuMs, rawAgain.cpuMs);
console.log(`cores: ${availableParallelism()}, logins: ${LOGINS}, clients: ${CLIENTS}, engine: ${login.engine}`);
console.log(
  `argon2id ceiling: ${ceilingRate.toFixed(1)}/s (runs: ${raw.rate.toFixed(1)}, ${rawAgain.rate.toFixed(1)}), ${hashCpuMs.toFixed(2)} ms CPU per verification`,
);
console.log(`password + TOTP login: ${login.rate.toFixed(1)}/s, ${cpu(login)}`);
console.log(`ratio: ${(login.rate / ceilingRate).toFixed(2)} (target ≥ 0.85)`);
// What the ratio tends to on a machine with nothing else running: the share of a login's CPU that is its hash.
const loginCpuMs = login.cpuMs + (login.databaseCpuMs ?? 0);
console.log(
  `CPU ratio: ${(hashCpuMs / loginCpuMs).toFixed(2)} (argon2id CPU / login CPU${login.databaseCpuMs === null ? ', server not counted' : ''})`,
);
