/**
 * Compares the CPU a login costs in two checkouts of keyward, in one process: each checkout gets
 * its own database, app and users (its own copy of the code, loaded from its directory), and the
 * two log everyone in by turns, round after round, A first in even rounds and B first in odd
 * ones. Why: on a shared machine separate runs of `npm run bench` minutes apart see different
 * loads (the argon2id ceiling moved between 16/s and 73/s in one hour on 2 cores); by turns,
 * whatever else runs falls on both alike, and the per-round ratio B/A is what to read.
 *
 * Password checks answer at once (as BENCH_NO_HASH): the hash is the same code in both, and what
 * differs is everything else. The figure is CPU time of this process per login (and, on a local
 * PostgreSQL, of the checkout's server backends). Each round also times argon2id verifications at
 * the hasher's concurrency, as run.ts's ceiling, so that each checkout gets a CPU ratio:
 * argon2id / (argon2id + the rest), what run.ts's ratio tends to with nothing else running.
 *
 *   git worktree add /tmp/kw-before <commit>      (or: git archive <commit> | tar -x -C /tmp/kw-before)
 *   ln -s "$PWD/node_modules" /tmp/kw-before/node_modules
 *   npx tsx bench/compare.ts /tmp/kw-before .
 *
 * BENCH_DATABASE_URL runs both on PostgreSQL (one database; the backends are told apart by
 * application_name); checkouts with different migrations need a database each, given as
 * BENCH_DATABASE_URL_A and BENCH_DATABASE_URL_B. BENCH_ROUNDS (8) and BENCH_USERS (100 per
 * checkout) size it.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import { ARGON2_OPTIONS } from '../src/crypto/password.ts';
import { Semaphore } from '../src/crypto/semaphore.ts';
import type { HashSlot } from '../src/crypto/password.ts';
import type * as Connect from '../src/storage/connect.ts';
import type * as Migrate from '../src/storage/migrate.ts';
import type * as Deps from '../test/support/deps.ts';
import type * as App from '../test/support/app.ts';
import type * as Totp from '../src/crypto/totp.ts';

const [dirA, dirB] = process.argv.slice(2).map((dir) => path.resolve(dir));
if (!dirA || !dirB) throw new Error('usage: compare.ts <checkout A> <checkout B>');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const USERS = Number(process.env.BENCH_USERS ?? 100);
const CLIENTS = 8;
const URL_ = process.env.BENCH_DATABASE_URL;
const URLS = { a: process.env.BENCH_DATABASE_URL_A ?? URL_, b: process.env.BENCH_DATABASE_URL_B ?? URL_ };

/** One checkout's app with USERS enrolled users; round() logs all of them in once (password + TOTP, new location). */
async function checkout(dir: string, name: 'a' | 'b') {
  const { openDatabase } = (await import(`${dir}/src/storage/connect.ts`)) as typeof Connect;
  const { migrateToLatest } = (await import(`${dir}/src/storage/migrate.ts`)) as typeof Migrate;
  const support = (await import(`${dir}/test/support/deps.ts`)) as typeof Deps;
  const { Client, testApp } = (await import(`${dir}/test/support/app.ts`)) as typeof App;
  const { fromBase32, totp } = (await import(`${dir}/src/crypto/totp.ts`)) as typeof Totp;
  const application = `keyward_compare_${name}`;
  const base = URLS[name];
  const url = base && `${base}${base.includes('?') ? '&' : '?'}application_name=${application}`;
  const database = await openDatabase(url ? { kind: 'postgres', url } : { kind: 'pglite-memory' });
  await migrateToLatest(database.db);
  const deps = await support.testDeps(database);
  const app = await testApp(deps);
  const { instance } = await support.givenInstance(deps);
  const users: Array<{ email: string; secret: Buffer }> = [];
  for (let i = 0; i < USERS; i += 1) {
    const user = await support.givenUser(deps, instance, `compare-${i}-${instance.slug}@example.test`);
    const client = new Client(app);
    await client.login(instance.slug, user.email, support.PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    const { secret } = (await client.post('/api/v1/auth/setup', { currentPassword: support.PASSWORD })).json<{ secret: string }>();
    await client.post('/api/v1/auth/setup/confirm', { code: totp(fromBase32(secret), deps.clock.now()) });
    users.push({ email: user.email, secret: fromBase32(secret) });
  }
  // As BENCH_NO_HASH in run.ts: correct at once, and the queue's place given back.
  const hasher = deps.hasher;
  Object.assign(hasher, { verify: async (_stored: string, _password: string, slot?: HashSlot) => (slot && hasher.release(slot), true) });
  return {
    name,
    async round(): Promise<void> {
      // A code is accepted once: the next round logs in at the next time step.
      deps.clock.advanceSeconds(30);
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < users.length) {
            const user = users[next++]!;
            const client = new Client(app);
            const login = await client.login(instance.slug, user.email, support.PASSWORD);
            if (login.json<{ next?: string }>().next !== 'verify') throw new Error(`${name}: login failed: ${login.body}`);
            const verify = await client.post('/api/v1/auth/verify', { code: totp(user.secret, deps.clock.now()) });
            if (verify.statusCode !== 200) throw new Error(`${name}: verify failed: ${verify.body}`);
          }
        }),
      );
    },
    async backends(): Promise<number[]> {
      if (!url) return [];
      const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${application}`.execute(
        database.db,
      );
      return rows.map((row) => row.pid);
    },
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

/** CPU ms of each of these processes so far (utime + stime from /proc, USER_HZ 100); those gone are left out. */
function processesCpuMs(pids: number[]): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // Ended meanwhile (the pool closes idle connections).
    }
  }
  return cpu;
}

/** CPU the backends used between two readings: one that started meanwhile counts whole (the pool opens them on demand). */
function serverCpuMs(before: Map<number, number>, after: Map<number, number>): number {
  return [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);
}

/** CPU ms of one argon2id verification, USERS of them at one per core (run.ts's ceiling). */
const stored = await hash('correct horse battery staple', ARGON2_OPTIONS);
async function hashCpuMs(): Promise<number> {
  const gate = new Semaphore(availableParallelism());
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: USERS }, () => gate.run(() => verify(stored, 'correct horse battery staple'))));
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1000 / USERS;
}

const a = await checkout(dirA, 'a');
const b = await checkout(dirB, 'b');
const figures = { a: { cpu: [] as number[], server: [] as number[] }, b: { cpu: [] as number[], server: [] as number[] } };
const hashes: number[] = [];
// A round each first, not counted: caches, JIT, the prepared statements of each connection.
await a.round();
await b.round();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const side of round % 2 === 0 ? [a, b] : [b, a]) {
    const server = processesCpuMs(await side.backends());
    const before = process.cpuUsage();
    await side.round();
    const cpu = process.cpuUsage(before);
    figures[side.name].cpu.push((cpu.user + cpu.system) / 1000 / USERS);
    figures[side.name].server.push(serverCpuMs(server, processesCpuMs(await side.backends())) / USERS);
  }
  hashes.push(await hashCpuMs());
}
await a.close();
await b.close();

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const list = (values: number[]) => values.map((value) => value.toFixed(1)).join(' ');
console.log(
  `${URLS.a || URLS.b ? 'postgres' : 'pglite'}, ${USERS} logins per round, ${ROUNDS} rounds, without argon2id; ms CPU per login:`,
);
for (const [label, dir] of [
  ['a', dirA],
  ['b', dirB],
] as const) {
  const { cpu, server } = figures[label];
  const rest = median(cpu) + median(server);
  console.log(
    `${label} ${dir}: this process ${median(cpu).toFixed(2)} [${list(cpu)}]` +
      (URLS[label] ? `, server ${median(server).toFixed(2)} [${list(server)}]` : '') +
      `; CPU ratio ${(median(hashes) / (median(hashes) + rest)).toFixed(2)}`,
  );
}
console.log(`argon2id: ${median(hashes).toFixed(2)} ms CPU per verification [${list(hashes)}]`);
const ratios = figures.b.cpu.map((value, i) => value / figures.a.cpu[i]!);
console.log(`b/a by round: ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(2)}`);
