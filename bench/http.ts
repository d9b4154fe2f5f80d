/**
 * The login's cost measured from outside, over real HTTP, as CPU time (issue 16): the compiled
 * server (`node dist/main.js`, production's LOG_LEVEL and settings) as a child process, a load
 * generator in this process on keep-alive connections, and CPU read from /proc for the server
 * process (all its threads: argon2id runs on them) and, on PostgreSQL, for the backends of the
 * bench's own database. The load generator's own CPU is measured and printed, never charged.
 *
 *   efficiency = CPU of one raw argon2id verification (same parameters, measured in this run)
 *                ÷ (server CPU + database CPU) per login
 *
 * For each engine (PostgreSQL when BENCH_DATABASE_URL, TEST_DATABASE_URL or a local server on
 * 127.0.0.1:5432 is there, in a database of its own that is dropped afterwards; and PGlite) it
 * runs, each user once (a TOTP code is accepted once):
 *   - full logins: password, TOTP code (a new location), GET /api/v1/me;
 *   - backup-code logins: password, the mailed backup code, GET /api/v1/me;
 *   - unknown-account logins (the same answer and, per ASVS 6.3.x, about the same work);
 *   - authenticated GET /api/v1/me;
 * and the server's peak resident memory (VmHWM) after 64 logins at once.
 *
 *   npx tsx bench/http.ts [--engine postgres|pglite] [--logins N] [--clients N]
 *   BENCH_CPU_PROFILE=dir: the server runs with --cpu-prof into dir (summarise with bench/profile-summary.ts)
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import pg from 'pg';
import { ARGON2_OPTIONS } from '../src/crypto/password.ts';
import { Semaphore } from '../src/crypto/semaphore.ts';
import { fromBase32, totp } from '../src/crypto/totp.ts';
import { openDatabase, type DatabaseHandle } from '../src/storage/connect.ts';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { Client, testApp } from '../test/support/app.ts';
import { givenInstance, givenUser, PASSWORD, TEST_SECRET_KEY, testDeps } from '../test/support/deps.ts';
import { benchEngines, benchMachineLine, freshPostgresDatabase } from '../test/support/db.ts';
import { createOidcClient } from '../src/domain/oidc/manage-oidc-clients.ts';
import { freePort, startServer, type ServerProcess } from '../test/support/server-process.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    engine: { type: 'string' },
    logins: { type: 'string', default: process.env.BENCH_LOGINS ?? '120' },
    clients: { type: 'string', default: process.env.BENCH_CLIENTS ?? '8' },
  },
});
const LOGINS = Number(args.logins);
const CLIENTS = Number(args.clients);
const BACKUP_LOGINS = Math.max(20, Math.floor(LOGINS / 3));
const ME_REQUESTS = 2_000;
/** Logins at once for the memory figure: below the hashing queue's saturation, and far beyond it. */
const BURSTS = [16, 64];
const OIDC_LOGINS = BACKUP_LOGINS;
/** BENCH_STEPS=N: N OpenID Connect logins one at a time, their CPU by request (steps, below). */
const STEP_LOGINS = Number(process.env.BENCH_STEPS ?? 0);
if (!Number.isInteger(STEP_LOGINS) || STEP_LOGINS < 0)
  throw new Error(`BENCH_STEPS must be a number of logins, not ${process.env.BENCH_STEPS}`);
const STEP_PAUSE_MS = 20;
const REDIRECT_URI = 'https://app.example.test/bench/callback';
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux
const PG_LOG = process.env.BENCH_PG_LOG;
/** BENCH_PERF=file: `perf record` of the server's threads on CPU (not wall time) over the full logins; with --perf-basic-prof for JavaScript's frames. */
const PERF = process.env.BENCH_PERF;

/**
 * PostgreSQL's own durations of the statements logged since byte `from` of its log, per login,
 * by statement (its name when prepared, else its first words) and protocol step (parse, bind,
 * execute). Durations are the server's time, not its CPU, but they show which statement weighs.
 */
function summariseStatements(file: string, from: number, logins: number, what = 'full login'): void {
  const text = fs.readFileSync(file).subarray(from).toString('utf8');
  const totals = new Map<string, { ms: number; count: number; sql: string }>();
  for (const match of text.matchAll(/duration: ([\d.]+) ms {2}(parse|bind|execute|statement)( [^:]*)?: (.*)/g)) {
    const [, duration, step, name, rest] = match;
    const key = `${step}${name ?? ''}`;
    const entry = totals.get(key) ?? { ms: 0, count: 0, sql: rest!.slice(0, 90) };
    entry.ms += Number(duration);
    entry.count += 1;
    totals.set(key, entry);
  }
  const all = [...totals.values()].reduce((sum, entry) => sum + entry.ms, 0);
  console.log(
    `  PostgreSQL's time per ${what}: ${(all / logins).toFixed(2)} ms in ${[...totals.values()].reduce((n, e) => n + e.count, 0) / logins} logged steps`,
  );
  for (const [key, entry] of [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env.BENCH_PG_TOP ?? 15)))
    console.log(`  ${(entry.ms / logins).toFixed(3)} ms ×${(entry.count / logins).toFixed(2)}  ${key}  ${entry.sql}`);
}

// ---------------------------------------------------------------------------------------------
// CPU from /proc

/** utime + stime of `pid` (every thread of it), in ms; null once it is gone. */
function cpuMsOf(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** CPU ms of each thread of `pid` by thread name (main: node; libuv's pool: libuv-worker; V8: V8 Default…). */
function threadCpuMs(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

function residentMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

/** The CPU of a set of processes over `work`, ms; pids are asked for before and after (new backends count from 0). */
async function cpuOver(pids: () => Promise<number[]>, work: () => Promise<void>): Promise<{ ms: number; seconds: number; loadMs: number }> {
  const before = new Map((await pids()).map((pid) => [pid, cpuMsOf(pid) ?? 0]));
  const load = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const loadUsage = process.cpuUsage(load);
  let ms = 0;
  for (const pid of await pids()) ms += (cpuMsOf(pid) ?? 0) - (before.get(pid) ?? 0);
  return { ms, seconds, loadMs: (loadUsage.user + loadUsage.system) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// The raw hash

/** CPU ms of one argon2id verification with keyward's parameters, at one per core (this process). */
async function rawHashCpuMs(count = 60): Promise<{ cpuMs: number; rate: number }> {
  const stored = await hash(PASSWORD, ARGON2_OPTIONS);
  const gate = new Semaphore(os.availableParallelism());
  const before = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, () => gate.run(() => verify(stored, PASSWORD))));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(before);
  return { cpuMs: (used.user + used.system) / 1000 / count, rate: count / seconds };
}

// ---------------------------------------------------------------------------------------------
// The server

// ---------------------------------------------------------------------------------------------
// The load generator: cheap itself (one keep-alive agent, node:http, no fetch)

/**
 * One keep-alive agent per client address: each simulated client connects from a loopback
 * address of its own (all of 127.0.0.0/8 is loopback on Linux), as clients on a network would;
 * from one address, keyward admits only 8 logins at a time to its hashing queue.
 */
const agents = new Map<string, http.Agent>();
const agentFrom = (address: string) => {
  let agent = agents.get(address);
  if (!agent) agents.set(address, (agent = new http.Agent({ keepAlive: true, maxSockets: 8, localAddress: address })));
  return agent;
};
let nextAddress = 0;
const newAddress = () => `127.2.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

interface Answer {
  status: number;
  body: string;
  cookies: string[];
  location: string | null;
}

/**
 * BENCH_STEPS: after the timed OpenID Connect logins, logins one at a time whose CPU is charged to
 * each request by its path: the server's main thread, its other threads and PostgreSQL's backends,
 * from /proc's schedstat (nanoseconds of CPU, not the 10 ms ticks of stat). A step runs from its
 * request to the next one's, after a pause: what a request leaves to run after its answer (the
 * mail it queued) is charged to it.
 */
const steps: {
  pids: { server: number; database: number[] } | null;
  open: { key: string; at: { main: number; others: number; database: number } } | null;
  totals: Map<string, { count: number; main: number; others: number; database: number }>;
} = { pids: null, open: null, totals: new Map() };

function schedNs(pid: number, tid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0; // the thread ended meanwhile
  }
}

function stepReading(pids: { server: number; database: number[] }) {
  let others = 0;
  for (const task of fs.readdirSync(`/proc/${pids.server}/task`))
    if (Number(task) !== pids.server) others += schedNs(pids.server, Number(task));
  return {
    main: schedNs(pids.server, pids.server),
    others,
    database: pids.database.reduce((sum, pid) => sum + schedNs(pid, pid), 0),
  };
}

/** Ends the open step (charging it what ran since it began) and, given a key, begins the next. */
function stepTo(key: string | null): void {
  if (!steps.pids) return;
  const now = stepReading(steps.pids);
  if (steps.open) {
    const total = steps.totals.get(steps.open.key) ?? { count: 0, main: 0, others: 0, database: 0 };
    total.count += 1;
    total.main += now.main - steps.open.at.main;
    total.others += now.others - steps.open.at.others;
    total.database += now.database - steps.open.at.database;
    steps.totals.set(steps.open.key, total);
  }
  steps.open = key === null ? null : { key, at: now };
}

const stepKey = (method: string, url: URL) =>
  `${method} ${url.pathname.replace(/^\/i\/[^/]+\/(interaction|auth)\/[^/]+$/, '/i/:slug/$1/:uid').replace(/^\/i\/[^/]+/, '/i/:slug')}`;

function request(
  origin: string,
  from: string,
  method: string,
  url: string,
  body: unknown,
  cookie: string,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const target = new URL(url, origin);
  // A form body (the token endpoint's) is passed as URLSearchParams, JSON otherwise.
  const payload = body === undefined ? undefined : body instanceof URLSearchParams ? body.toString() : JSON.stringify(body);
  // extra.origin '' sends none (a relying party's back channel is no browser).
  const headers: Record<string, string> = { origin, ...extra };
  if (!headers.origin) delete headers.origin;
  if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  if (cookie) headers.cookie = cookie;
  if (steps.pids) {
    const key = stepKey(method, target);
    return new Promise((resolve) => setTimeout(resolve, STEP_PAUSE_MS)).then(() => {
      stepTo(key);
      return send(target, method, headers, from, payload);
    });
  }
  return send(target, method, headers, from, payload);
}

function send(target: URL, method: string, headers: Record<string, string>, from: string, payload: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method, headers, agent: agentFrom(from) },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: text,
            cookies: [response.headers['set-cookie'] ?? []].flat(),
            location: response.headers.location ?? null,
          }),
        );
      },
    );
    call.on('error', reject);
    call.end(payload);
  });
}

/** A browser's cookie jar, as small as it can be. */
class Jar {
  private readonly cookies = new Map<string, string>();
  /** The client's own address (a new one per jar: each login a client of its own). */
  readonly from = newAddress();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  take(lines: string[]): void {
    for (const line of lines) {
      const pair = line.slice(0, line.indexOf(';') === -1 ? undefined : line.indexOf(';'));
      const at = pair.indexOf('=');
      const value = pair.slice(at + 1);
      if (!value || /max-age=0/i.test(line)) this.cookies.delete(pair.slice(0, at));
      else this.cookies.set(pair.slice(0, at), value);
    }
  }
}

async function call(
  origin: string,
  jar: Jar,
  method: string,
  url: string,
  body?: unknown,
  expected = 200,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const answer = await request(origin, jar.from, method, url, body, jar.header(), headers);
  jar.take(answer.cookies);
  if (answer.status !== expected) throw new Error(`${method} ${url}: ${answer.status} ${answer.body.slice(0, 200)}`);
  return answer;
}

/** Runs `task(i)` for i < count on `clients` concurrent clients; the latency of each, ms. */
async function run(count: number, clients: number, task: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const started = performance.now();
        await task(i);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

// ---------------------------------------------------------------------------------------------
// Set-up: an instance and users with an authenticator app, written before the server starts

interface Prepared {
  slug: string;
  /** Users with an app: their email and TOTP secret. */
  withApp: Array<{ email: string; secret: Buffer }>;
  /** Users with an app and the backup code they were mailed. */
  withBackupCode: Array<{ email: string; code: string }>;
  /** Users with 2FA off. (One account's logins at once are refused: each reserves an attempt first.) */
  plain: Array<{ id: string; email: string }>;
  /** The relying party's registration (a confidential client of the instance). */
  oidcClient: { id: string; secret: string };
}

async function prepare(database: DatabaseHandle, withApp: number, withBackupCode: number, plainUsers: number): Promise<Prepared> {
  await migrateToLatest(database.db);
  const deps = await testDeps(database);
  // Enrolled ten minutes ago: the codes the logins use are later steps than the set-up's.
  deps.clock.set(new Date(Date.now() - 10 * 60_000));
  const app = await testApp(deps);
  const { instance } = await givenInstance(deps);
  const enrolled: Array<{ email: string; secret: Buffer }> = [];
  for (let i = 0; i < withApp + withBackupCode; i += 1) {
    const user = await givenUser(deps, instance, `bench-${i}@${instance.slug}.test`);
    const client = new Client(app);
    await client.login(instance.slug, user.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    const { secret } = (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json();
    const confirmed = await client.post('/api/v1/auth/setup/confirm', { code: totp(fromBase32(secret), deps.clock.now()) });
    if (confirmed.json().next !== 'done') throw new Error(`set-up: ${confirmed.body}`);
    enrolled.push({ email: user.email, secret: fromBase32(secret) });
  }
  await deps.mail.drain();
  const mailbox = await deps.stores.devMailbox.list(100_000);
  const codeOf = (email: string) => {
    const mail = mailbox.find((m) => m.to === email && /^Backup code: /m.test(m.text));
    return /^Backup code: (\S+)$/m.exec(mail!.text)![1]!;
  };
  const plain: Array<{ id: string; email: string }> = [];
  for (let i = 0; i < plainUsers; i += 1) {
    const user = await givenUser(deps, instance, `plain-${i}@${instance.slug}.test`);
    plain.push({ id: user.id, email: user.email });
  }
  // A confidential client, registered as an administrator would (the use-case behind the admin API and the CLI).
  const registered = await createOidcClient(
    deps,
    { instanceId: instance.id, actor: { type: 'cli', id: null, label: 'CLI: bench' }, client: { ip: null, userAgent: null } },
    { name: 'Bench app', redirectUris: [REDIRECT_URI] },
  );
  const oidcClient = { id: registered.client.clientId, secret: registered.clientSecret! };
  await app.close();
  return {
    slug: instance.slug,
    withApp: enrolled.slice(0, withApp),
    withBackupCode: enrolled.slice(withApp).map((user) => ({ email: user.email, code: codeOf(user.email) })),
    plain,
    oidcClient,
  };
}

// ---------------------------------------------------------------------------------------------

interface Row {
  what: string;
  count: number;
  /** argon2id verifications per operation (1 for a login, 0 for a request with a session). */
  hashes: number;
  serverMs: number;
  databaseMs: number | null;
  loadMs: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(
  what: string,
  count: number,
  server: Pick<ServerProcess, 'pid'>,
  databasePids: () => Promise<number[]>,
  task: (i: number) => Promise<void>,
  clients = CLIENTS,
  hashes = 1,
): Promise<Row> {
  let latencies: number[] = [];
  let database: { ms: number } | null = null;
  const perf =
    PERF && what.startsWith(process.env.BENCH_ONLY === 'oidc' ? 'OIDC' : 'full')
      ? spawn('perf', ['record', '-e', 'cpu-clock', '-F', '1999', '-g', '-p', String(server.pid), '-o', PERF], { stdio: 'ignore' })
      : null;
  if (perf) await new Promise((resolve) => setTimeout(resolve, 500));
  const threadsBefore = threadCpuMs(server.pid);
  const serverCpu = await cpuOver(
    async () => [server.pid],
    async () => {
      database = await cpuOver(databasePids, async () => {
        latencies = await run(count, clients, task);
      });
    },
  );
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((resolve) => perf.once('exit', resolve));
  }
  const databaseMs = (database as { ms: number } | null)?.ms ?? null;
  const threads = [...threadCpuMs(server.pid)]
    .map(([name, ms]) => [name, (ms - (threadsBefore.get(name) ?? 0)) / count] as const)
    .filter(([, ms]) => ms > 0.05)
    .sort((a, b) => b[1] - a[1]);
  if (process.env.BENCH_THREADS) console.log(`  ${what}: per thread ${threads.map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(', ')}`);
  return {
    what,
    count,
    hashes,
    serverMs: serverCpu.ms / count,
    databaseMs: databaseMs === null ? null : databaseMs / count,
    loadMs: serverCpu.loadMs / count,
    perSecond: count / serverCpu.seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/**
 * GET /api/v1/me's yardstick: bench/bare-server.mjs (a bare Fastify route, one primary-key
 * select) on the same database, measured as the server is, then stopped.
 */
async function measureBare(env: Record<string, string>, userId: string, databasePids: () => Promise<number[]>): Promise<Row> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'bench', 'bare-server.mjs')], {
    env: {
      ...process.env,
      BARE_PORT: String(port),
      ...(env.DATABASE_URL ? { BARE_DATABASE_URL: env.DATABASE_URL } : { BARE_PGLITE_DIR: env.KEYWARD_DATA_DIR! }),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let said = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        said += chunk;
        if (said.includes('bare server listening')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`bare server exited (${code}): ${said}`)));
    });
    const origin = `http://127.0.0.1:${port}`;
    const jar = new Jar();
    for (let i = 0; i < 200; i += 1) await call(origin, jar, 'GET', `/bare/${userId}`);
    return await measure(
      'bare Fastify route, one primary-key select',
      ME_REQUESTS,
      { pid: child.pid! },
      databasePids,
      async () => {
        await call(origin, jar, 'GET', `/bare/${userId}`);
      },
      CLIENTS,
      0,
    );
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

interface RelyingParty {
  clientId: string;
  authorization: string;
  authorizationEndpoint: URL;
  tokenEndpoint: URL;
  userinfoEndpoint: URL;
}

/** The provider's endpoints from its discovery document, as a relying party starts. */
async function relyingPartyOf(origin: string, slug: string, client: { id: string; secret: string }): Promise<RelyingParty> {
  const discovery = await call(origin, new Jar(), 'GET', `/i/${slug}/.well-known/openid-configuration`);
  const document = JSON.parse(discovery.body) as Record<string, string>;
  return {
    clientId: client.id,
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
    authorizationEndpoint: new URL(document.authorization_endpoint!),
    tokenEndpoint: new URL(document.token_endpoint!),
    userinfoEndpoint: new URL(document.userinfo_endpoint!),
  };
}

/**
 * An authorization-code login with PKCE, as a browser and a server-side relying party do it: the
 * authorize request and its redirects, keyward's login page's password and TOTP steps (`steps`),
 * the resumed interaction to the callback, the code exchanged at the token endpoint, userinfo.
 */
async function oidcLogin(
  rp: RelyingParty,
  user: { email: string; secret: Buffer },
  steps: (jar: Jar, user: { email: string; secret: Buffer }) => Promise<void>,
): Promise<void> {
  const origin = rp.authorizationEndpoint.origin;
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(rp.authorizationEndpoint);
  authorize.search = new URLSearchParams({
    client_id: rp.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(16).toString('base64url'),
  }).toString();
  const browser = new Jar();
  let url = authorize.href;
  let callback: URL | null = null;
  for (let hops = 0; hops < 12 && !callback; hops += 1) {
    const answer = await request(origin, browser.from, 'GET', url, undefined, browser.header(), { origin: '' });
    browser.take(answer.cookies);
    if (answer.status < 300 || answer.status >= 400 || !answer.location) throw new Error(`authorize: ${answer.status} at ${url}`);
    const next = new URL(answer.location, url);
    if (next.href.startsWith(REDIRECT_URI)) callback = next;
    else if (next.pathname.endsWith('/login') && next.searchParams.has('interaction')) {
      await steps(browser, user);
      url = `${origin}${next.pathname.replace(/\/login$/, '')}/interaction/${next.searchParams.get('interaction')}`;
    } else url = next.href;
  }
  if (!callback || callback.searchParams.get('state') !== state) throw new Error(`authorize: no callback (${callback?.href})`);
  const backChannel = new Jar();
  const token = await call(
    origin,
    backChannel,
    'POST',
    rp.tokenEndpoint.pathname,
    new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
    200,
    { origin: '', authorization: rp.authorization, 'content-type': 'application/x-www-form-urlencoded' },
  );
  const tokens = JSON.parse(token.body) as { access_token?: string; id_token?: string };
  if (!tokens.access_token || !tokens.id_token) throw new Error(`token: ${token.body}`);
  const info = await call(origin, backChannel, 'GET', rp.userinfoEndpoint.pathname, undefined, 200, {
    origin: '',
    authorization: `Bearer ${tokens.access_token}`,
  });
  if ((JSON.parse(info.body) as { email?: string }).email !== user.email) throw new Error(`userinfo: ${info.body}`);
}

async function benchEngine(engine: 'postgres' | 'pglite', postgresUrl: string | null) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-bench-'));
  let dropDatabase = async () => {};
  let env: Record<string, string>;
  let database: DatabaseHandle;
  if (engine === 'postgres') {
    const fresh = await freshPostgresDatabase('keyward_bench', postgresUrl!);
    dropDatabase = () => fresh.drop();
    const admin = new pg.Client({ connectionString: postgresUrl! });
    await admin.connect();
    // BENCH_PG_LOG=file (PostgreSQL's log on this machine, e.g. /var/log/postgresql/postgresql-15-main.log):
    // every statement of the server's connections is logged with its duration, and summed below.
    if (PG_LOG) await admin.query(`alter database ${fresh.name} set log_min_duration_statement = 0`);
    // BENCH_PG_SETTINGS='plan_cache_mode=force_generic_plan,…': settings of the bench's database (an experiment's knob).
    for (const setting of (process.env.BENCH_PG_SETTINGS ?? '').split(',').filter(Boolean)) {
      const [name, value] = setting.split('=');
      await admin.query(`alter database ${fresh.name} set ${name} = '${value}'`);
    }
    await admin.end();
    database = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 2 });
    env = { DATABASE_URL: fresh.url, KEYWARD_DATA_DIR: dataDir };
  } else {
    database = await openDatabase({ kind: 'pglite', dataDir });
    env = { KEYWARD_DATA_DIR: dataDir };
  }
  // Whatever fails, the server stops and the bench's database goes (a failed run left them behind).
  const cleanUp: { server?: ServerProcess; monitor?: pg.Client } = {};
  try {
    // The steady state of a running server, not its first minute: warm-up logins run as the timed
    // ones do (CLIENTS at once), so that the pool has opened the connections the timed logins use
    // (a login on a new backend cost PostgreSQL 26.6 ms against 5.7 on a warm one) and each has run
    // each login statement more than 5 times (PostgreSQL plans a named statement for its values
    // 5 times, then settles on a generic plan), and V8 has optimised the hot code. Until 4
    // December they ran one at a time: one warm connection, and the timed logins opened the others.
    const warmUp = Number(process.env.BENCH_WARMUP ?? 200);
    // The same for the OpenID Connect logins, whose statements and code are their own.
    const oidcWarmUp = Number(process.env.BENCH_OIDC_WARMUP ?? 8 * CLIENTS);
    const burstUsers = BURSTS.reduce((sum, n) => sum + n, 0);
    const prepared = await prepare(database, LOGINS + warmUp + oidcWarmUp + OIDC_LOGINS + STEP_LOGINS + burstUsers, BACKUP_LOGINS, LOGINS);
    // Statistics as autovacuum keeps them on a running database: fresh tables have none, and the
    // planner then picked an instance-wide index scan for the code step's session delete.
    await sql`analyze`.execute(database.db);
    // The bench's own connection must not count as the server's: PostgreSQL's backends of the
    // server are those of other pids than this one's (closed here), on this database.
    await database.close();
    const monitor = engine === 'postgres' ? new pg.Client({ connectionString: env.DATABASE_URL }) : null;
    if (monitor) cleanUp.monitor = monitor;
    await monitor?.connect();
    const monitorPid = monitor ? Number((await monitor.query('select pg_backend_pid() as pid')).rows[0].pid) : 0;
    const databasePids = monitor
      ? async () =>
          (
            await monitor.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> $1', [
              monitorPid,
            ])
          ).rows.map((row) => Number(row.pid))
      : async () => [];
    // BENCH_ONLY=oidc: the full logins and the OpenID Connect logins only (perf and BENCH_PG_LOG over the latter).
    const onlyOidc = process.env.BENCH_ONLY === 'oidc';
    const only = process.env.BENCH_ONLY === 'full' || onlyOidc;
    const rows: Row[] = [];
    // The yardstick of GET /api/v1/me, before keyward's server starts (PGlite's data dir has one owner at a time).
    if (!only) rows.push(await measureBare(env, prepared.plain[0]!.id, databasePids));
    // Production's log level (the request log is part of a request's cost) unless BENCH_LOG_LEVEL says otherwise.
    const server = await startServer(
      { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', ...env, KEYWARD_SECRET_KEY: TEST_SECRET_KEY },
      {
        nodeArgs: [
          ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
          ...(PERF ? ['--perf-basic-prof-only-functions', '--interpreted-frames-native-stack'] : []),
          // BENCH_NODE_ARGS='--max-semi-space-size=32 …': the server's node flags (an experiment's knob).
          ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
        ],
      },
    );
    cleanUp.server = server;

    const { origin } = server;
    const slug = prepared.slug;
    /** The password and TOTP steps of a login in `jar`, as the SPA does them. */
    const fullLoginSteps = async (jar: Jar, user: { email: string; secret: Buffer }) => {
      const login = await call(origin, jar, 'POST', '/api/v1/auth/login', { instance: slug, email: user.email, password: PASSWORD });
      if (!login.body.includes('"verify"')) throw new Error(`password step: ${login.body}`);
      await call(origin, jar, 'POST', '/api/v1/auth/verify', { code: totp(user.secret, new Date()) });
    };
    const fullLogin = async (user: { email: string; secret: Buffer }) => {
      const jar = new Jar();
      await fullLoginSteps(jar, user);
      await call(origin, jar, 'GET', '/api/v1/me');
    };
    const users = prepared.withApp;
    await run(warmUp, CLIENTS, (i) => fullLogin(users[i]!));

    // BENCH_ONLY=full: the full logins only (for a profile of just them).
    const logFrom = PG_LOG ? fs.statSync(PG_LOG).size : 0;
    rows.push(await measure('full login (password + TOTP + /me)', LOGINS, server, databasePids, (i) => fullLogin(users[warmUp + i]!)));
    if (PG_LOG && engine === 'postgres') summariseStatements(PG_LOG, logFrom, LOGINS);
    if (!only)
      rows.push(
        await measure('backup-code login (password + code + /me)', BACKUP_LOGINS, server, databasePids, async (i) => {
          const user = prepared.withBackupCode[i]!;
          const jar = new Jar();
          await call(origin, jar, 'POST', '/api/v1/auth/login', { instance: slug, email: user.email, password: PASSWORD });
          await call(origin, jar, 'POST', '/api/v1/auth/verify', { backupCode: user.code });
          await call(origin, jar, 'GET', '/api/v1/me');
        }),
      );
    if (!only)
      rows.push(
        await measure('unknown-account login (password step)', LOGINS, server, databasePids, async (i) => {
          await call(
            origin,
            new Jar(),
            'POST',
            '/api/v1/auth/login',
            { instance: slug, email: `nobody-${i}@${slug}.test`, password: PASSWORD },
            401,
          );
        }),
      );
    if (!only)
      rows.push(
        await measure('known-account wrong password (password step)', LOGINS, server, databasePids, async (i) => {
          await call(
            origin,
            new Jar(),
            'POST',
            '/api/v1/auth/login',
            { instance: slug, email: prepared.plain[i]!.email, password: `${PASSWORD}-wrong` },
            401,
          );
        }),
      );
    if (!only)
      rows.push(
        await measure('known-account password step (2FA off, no /me)', BACKUP_LOGINS, server, databasePids, async (i) => {
          await call(origin, new Jar(), 'POST', '/api/v1/auth/login', {
            instance: slug,
            email: prepared.plain[i]!.email,
            password: PASSWORD,
          });
        }),
      );
    const session = new Jar();
    await call(origin, session, 'POST', '/api/v1/auth/login', { instance: slug, email: prepared.plain[0]!.email, password: PASSWORD });
    if (!only)
      rows.push(
        await measure(
          'authenticated GET /api/v1/me',
          ME_REQUESTS,
          server,
          databasePids,
          async () => {
            await call(origin, session, 'GET', '/api/v1/me');
          },
          CLIENTS,
          0,
        ),
      );
    let next = warmUp + LOGINS;
    if (!only || onlyOidc) {
      const oidcUsers = users.slice(next, (next += OIDC_LOGINS));
      const oidcWarmUsers = users.slice(next, (next += oidcWarmUp));
      const relyingParty = await relyingPartyOf(origin, slug, prepared.oidcClient);
      await oidcLogin(relyingParty, oidcUsers[0]!, fullLoginSteps);
      await run(oidcWarmUp, CLIENTS, (i) => oidcLogin(relyingParty, oidcWarmUsers[i]!, fullLoginSteps));
      const oidcLogFrom = PG_LOG ? fs.statSync(PG_LOG).size : 0;
      rows.push(
        await measure('OIDC code login (authorize + password + TOTP + token + userinfo)', OIDC_LOGINS - 1, server, databasePids, (i) =>
          oidcLogin(relyingParty, oidcUsers[i + 1]!, fullLoginSteps),
        ),
      );
      if (PG_LOG && engine === 'postgres') summariseStatements(PG_LOG, oidcLogFrom, OIDC_LOGINS - 1, 'OIDC login');
      if (STEP_LOGINS > 0) {
        const stepUsers = users.slice(next, (next += STEP_LOGINS));
        steps.pids = { server: server.pid, database: await databasePids() };
        for (const user of stepUsers) {
          await oidcLogin(relyingParty, user, fullLoginSteps);
          await new Promise((resolve) => setTimeout(resolve, STEP_PAUSE_MS));
          stepTo(null);
        }
        steps.pids = null;
        console.log(
          `  CPU per request of an OIDC login, ${STEP_LOGINS} logins one at a time (ms: main thread, other threads, PostgreSQL):`,
        );
        for (const [key, total] of steps.totals) {
          const ms = (ns: number) => (ns / total.count / 1e6).toFixed(2).padStart(6);
          console.log(`  ${ms(total.main)} ${ms(total.others)} ${ms(total.database)}  ×${total.count / STEP_LOGINS}  ${key}`);
        }
      }
    }

    // Memory: full logins at once, within the hashing queue's saturation and far beyond it; the
    // resident set sampled every 10 ms during each burst (VmHWM only ever grows).
    const idleMiB = residentMiB(server.pid);
    const bursts: Array<{ clients: number; peakMiB: number }> = [];
    for (const clients of onlyOidc ? [] : BURSTS) {
      const burst = users.slice(next, (next += clients));
      let peak = residentMiB(server.pid);
      const sampler = setInterval(() => (peak = Math.max(peak, residentMiB(server.pid))), 10);
      await run(burst.length, clients, (i) => fullLogin(burst[i]!)).finally(() => clearInterval(sampler));
      bursts.push({ clients, peakMiB: Math.max(peak, residentMiB(server.pid)) });
    }
    const peakMiB = peakRssMiB(server.pid);

    return { engine, rows, idleMiB, peakMiB, bursts };
  } finally {
    await cleanUp.monitor?.end().catch(() => {});
    await cleanUp.server?.stop();
    await database.close().catch(() => {});
    await dropDatabase();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' });
const { postgresUrl, engines } = await benchEngines(args.engine);
console.log(benchMachineLine());
for (const engine of engines) {
  const before = await rawHashCpuMs();
  const result = await benchEngine(engine, postgresUrl);
  const after = await rawHashCpuMs();
  const hashMs = Math.min(before.cpuMs, after.cpuMs);
  const hashRate = Math.max(before.rate, after.rate);
  console.log(
    `\n${engine}: raw argon2id ${hashMs.toFixed(1)} ms CPU per verification (runs ${before.cpuMs.toFixed(1)}, ${after.cpuMs.toFixed(1)}), ${hashRate.toFixed(0)}/s`,
  );
  console.log(
    '| what | n | server ms CPU | database ms CPU | beyond the hash | efficiency | per s ÷ argon2id rate | p50 ms | p99 ms | load generator ms CPU |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const total = (row: Row) => row.serverMs + (row.databaseMs ?? 0);
  const beyond = (row: Row) => total(row) - row.hashes * hashMs;
  for (const row of result.rows) {
    console.log(
      `| ${row.what} | ${row.count} | ${row.serverMs.toFixed(2)} | ${row.databaseMs === null ? 'in process' : row.databaseMs.toFixed(2)} | ${beyond(row).toFixed(2)} | ${row.hashes ? (hashMs / total(row)).toFixed(2) : '–'} | ${row.hashes ? (row.perSecond / hashRate).toFixed(2) : row.perSecond.toFixed(0) + '/s'} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.loadMs.toFixed(2)} |`,
    );
  }
  console.log(
    `server resident memory: ${result.idleMiB.toFixed(0)} MiB after the runs; peak ${result.bursts
      .map((burst) => `${burst.peakMiB.toFixed(0)} MiB with ${burst.clients}`)
      .join(', ')} logins at once (VmHWM ${result.peakMiB.toFixed(0)} MiB)`,
  );
  // Issue 16's targets, each as measured in this run.
  const row = (prefix: string) => result.rows.find((r) => r.what.startsWith(prefix));
  const targets: Array<[string, number | undefined, (value: number) => boolean, string]> = [
    [
      'full login efficiency',
      row('full') && hashMs / total(row('full')!),
      (v) => v >= (engine === 'postgres' ? 0.85 : 0.7),
      engine === 'postgres' ? '≥ 0.85' : '≥ 0.7',
    ],
    ['backup-code login efficiency', row('backup') && hashMs / total(row('backup')!), (v) => v >= 0.8, '≥ 0.8'],
    [
      'GET /api/v1/me ÷ bare route (CPU)',
      row('authenticated') && row('bare') && total(row('authenticated')!) / total(row('bare')!),
      (v) => v <= 2,
      '≤ 2',
    ],
    [
      'unknown ÷ known account, wrong password (CPU)',
      row('unknown') && row('known-account wrong') && total(row('unknown')!) / total(row('known-account wrong')!),
      (v) => Math.abs(v - 1) <= 0.05,
      'within 5 %',
    ],
    [
      'OIDC code login ÷ full login, beyond the hash',
      row('OIDC') && row('full') && beyond(row('OIDC')!) / beyond(row('full')!),
      (v) => v <= 2,
      '≤ 2',
    ],
    [
      'peak memory, 64 ÷ 16 logins at once',
      result.bursts.length === 2 ? result.bursts[1]!.peakMiB / result.bursts[0]!.peakMiB : undefined,
      (v) => v <= 1.1,
      '≤ 1.1 (flat)',
    ],
  ];
  for (const [name, value, holds, target] of targets)
    if (value !== undefined) console.log(`  ${holds(value) ? 'met    ' : 'NOT MET'} ${name}: ${value.toFixed(2)} (target ${target})`);
}
process.exit(0);
