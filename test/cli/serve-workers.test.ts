/**
 * `keyward serve --workers 2` (src/cluster.ts) as a real process tree on PostgreSQL: two workers
 * share the port and both serve, the primary prints the first-run link once, `/metrics` on the
 * management port is the sum over the workers (the outbox gauges, one database-wide figure, are
 * not doubled), a killed worker is replaced while requests keep succeeding, and SIGTERM drains
 * every worker before the primary exits 0. Without DATABASE_URL the start is refused.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type ServerProcess } from '../support/server-process.ts';
import { freshPostgresDatabase } from '../support/db.ts';
import { keyward } from '../support/cli.ts';
import { generateKeyText } from '../../src/crypto/secret-box.ts';

const PASSWORD = 'a long enough password';
const ACCOUNT = { instance: 'cluster', email: 'ada@cluster.test' };
const LOGINS = 6;

/**
 * One request on a connection of its own (no keep-alive): the cluster hands each new connection
 * to the next worker, so requests in a row reach both.
 */
function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      target,
      {
        method,
        agent: false,
        timeout: 10_000,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', origin: target.origin },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${url} timed out`)));
    request.on('error', reject);
    request.end(payload);
  });
}

interface LogLine {
  msg?: string;
  pid?: number;
  workerPid?: number;
  req?: { url?: string };
}

const logLines = (server: ServerProcess): LogLine[] =>
  server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/** The pids of the processes that received a login (Fastify's request log carries each process's pid). */
const loginPids = (server: ServerProcess) =>
  new Set(
    logLines(server).flatMap((line) => (line.msg === 'incoming request' && line.req?.url === '/api/v1/auth/login' ? [line.pid!] : [])),
  );

const startedWorkers = (server: ServerProcess) =>
  logLines(server).flatMap((line) => (line.msg === 'worker started' ? [line.workerPid!] : []));

/** The sum of a metric's samples in Prometheus text. */
function total(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const hashConcurrencies = (server: ServerProcess) =>
  logLines(server).flatMap((line) => (line.msg === 'worker started' ? [(line as { hashConcurrency?: number }).hashConcurrency] : []));

async function createInstance(server: ServerProcess): Promise<void> {
  const token = new URL(server.setupLink!).hash.replace('#token=', '');
  const created = await call(`${server.origin}/api/v1/setup`, 'POST', {
    token,
    instance: { slug: ACCOUNT.instance, name: 'Cluster Test', plan: 'business' },
    admin: { email: ACCOUNT.email, name: 'Ada', password: PASSWORD },
  });
  expect(created.status, created.text).toBe(200);
}

const login = (server: ServerProcess) =>
  call(`${server.origin}/api/v1/auth/login`, 'POST', { ...ACCOUNT, password: PASSWORD }).then((response) => response.status);

describe.runIf(process.env.TEST_DATABASE_URL)('keyward serve --workers 2 on PostgreSQL', { timeout: 60_000 }, () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let server: ServerProcess;
  let management: string;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    const managementPort = await freePort();
    management = `http://127.0.0.1:${managementPort}`;
    server = await startServer(
      {
        DATABASE_URL: database.url,
        KEYWARD_SECRET_KEY: generateKeyText(),
        KEYWARD_MANAGEMENT_PORT: String(managementPort),
        KEYWARD_DRAIN_SECONDS: '2',
        // Mail stays in the outbox (no SMTP_URL, no dev mailbox): the outbox gauges have something to count.
        KEYWARD_DEV_MAILBOX: '0',
        LOG_LEVEL: 'info',
      },
      { args: ['serve', '--workers', '2'], freshDataDir: true },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('prints the start-up lines and the one-time link once, and both workers serve logins', async () => {
    expect(server.stderr().split('keyward is listening on').length - 1, server.stderr()).toBe(1);
    expect(server.stderr().match(/\/setup#token=/g), server.stderr()).toHaveLength(1);
    expect(startedWorkers(server)).toHaveLength(2);
    // Each worker hashes on its share of the cores (none set KEYWARD_HASH_CONCURRENCY here).
    expect(hashConcurrencies(server)).toEqual([1, 1].map(() => Math.max(1, Math.floor(os.availableParallelism() / 2))));
    await createInstance(server);

    for (let i = 0; i < LOGINS; i += 1) expect(await login(server)).toBe(200);
    const pids = loginPids(server);
    expect(pids.size, server.output()).toBe(2);
    expect(pids.has(server.pid), 'the primary serves no requests itself').toBe(false);
    for (const pid of pids) expect(startedWorkers(server)).toContain(pid);
  });

  it('answers /metrics on the management port with the sum over the workers, the outbox counted once', async () => {
    // A reset request becomes mail within the outbox worker's 5 s; it then waits (no transport).
    expect((await call(`${server.origin}/api/v1/auth/forgot`, 'POST', ACCOUNT)).status).toBe(204);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const waiting = async () =>
      Number((await client.query<{ n: string }>("select count(*) as n from outbox where status in ('pending', 'sending')")).rows[0]!.n);
    try {
      await until('a mail waits in the outbox', async () => (await waiting()) > 0, 15_000, server.output);
      const scraped = await call(`${management}/metrics`);
      expect(scraped.status).toBe(200);
      expect(total(scraped.text, 'keyward_login_steps_total'), scraped.text).toBe(LOGINS);
      expect(scraped.text).toContain(`keyward_login_steps_total{step="password",outcome="ok",factor="password"} ${LOGINS}`);
      expect(total(scraped.text, 'keyward_outbox_pending'), scraped.text).toBe(await waiting());
      // The pool gauge is per process: two workers' pools, each of the default 10.
      expect(scraped.text).toContain('keyward_db_pool_connections{state="max"} 20');
    } finally {
      await client.end();
    }
    // With a management port the public listener serves no metrics.
    expect((await call(`${server.origin}/metrics`)).status).toBe(404);
  });

  it('starts a new worker when one is killed, and requests keep succeeding', async () => {
    const [victim, survivor] = [...loginPids(server)];
    process.kill(victim!, 'SIGKILL');
    await until('the primary saw the worker die', () => server.stdout().includes('worker exited unexpectedly'), 10_000, server.output);
    expect(await login(server)).toBe(200);
    await until('a third worker started', () => startedWorkers(server).length === 3, 10_000, server.output);
    const replacement = startedWorkers(server)[2]!;
    // Until the new worker listens the survivor serves everything; then both again.
    await until(
      'the new worker serves logins',
      async () => {
        expect(await login(server)).toBe(200);
        return loginPids(server).has(replacement);
      },
      15_000,
      server.output,
    );
    expect(loginPids(server)).toEqual(new Set([victim, survivor, replacement]));
  });

  it('drains every worker on SIGTERM to the primary: /readyz 503, then exit 0', async () => {
    expect((await call(`${management}/readyz`)).status).toBe(200);
    process.kill(server.pid, 'SIGTERM');
    await until('the management port says draining', async () => (await call(`${management}/readyz`)).status === 503, 1_500, server.output);
    expect(JSON.parse((await call(`${management}/readyz`)).text)).toEqual({ status: 'draining' });
    const publicReady = await call(`${server.origin}/readyz`);
    expect([publicReady.status, JSON.parse(publicReady.text)]).toEqual([503, { status: 'draining' }]);
    expect((await call(`${server.origin}/livez`)).status).toBe(200);
    expect(await server.exited).toBe(0);
    expect(
      logLines(server).filter((line) => line.msg === 'stopped'),
      server.output(),
    ).toHaveLength(3);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('keyward serve --workers 2 without a management port', { timeout: 60_000 }, () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let server: ServerProcess;
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    server = await startServer(
      { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: generateKeyText(), KEYWARD_HASH_CONCURRENCY: '3', LOG_LEVEL: 'info' },
      { args: ['serve', '--workers', '2'], freshDataDir: true },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('answers the public /metrics, from whichever worker, with the sum over both; an explicit KEYWARD_HASH_CONCURRENCY wins', async () => {
    expect(hashConcurrencies(server)).toEqual([3, 3]);
    await createInstance(server);
    for (let i = 0; i < LOGINS; i += 1) expect(await login(server)).toBe(200);
    expect(loginPids(server).size, server.output()).toBe(2);
    // Each worker counted only its own share of the logins: the sum comes from the primary. Two
    // scrapes on new connections (the cluster deals them out in turn), both with the same sum.
    const scrapes = [await call(`${server.origin}/metrics`), await call(`${server.origin}/metrics`)];
    for (const scraped of scrapes) {
      expect(scraped.status).toBe(200);
      expect(total(scraped.text, 'keyward_login_steps_total'), scraped.text).toBe(LOGINS);
    }
  });
});

describe('keyward serve --workers without PostgreSQL', () => {
  it('is refused with exit 1 and a message naming DATABASE_URL, from the flag or KEYWARD_WORKERS', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-serve-'));
    try {
      const port = String(await freePort());
      const byFlag = await keyward(['serve', '--workers', '2'], { KEYWARD_DATA_DIR: dataDir, PORT: port });
      expect(byFlag.code).toBe(1);
      expect(byFlag.stderr).toContain('--workers=2 needs DATABASE_URL');
      const byEnv = await keyward(['serve'], { KEYWARD_DATA_DIR: dataDir, PORT: port, KEYWARD_WORKERS: '2' });
      expect(byEnv.code).toBe(1);
      expect(byEnv.stderr).toContain('KEYWARD_WORKERS=2 needs DATABASE_URL');
      // Nothing was opened: the embedded database was never created.
      expect(fs.existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
