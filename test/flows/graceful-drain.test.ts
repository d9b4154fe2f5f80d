/**
 * The graceful drain of SPEC §8 on the real server process (`node dist/main.js`): after SIGTERM
 * readiness answers 503 while liveness still answers, requests in flight finish with their real
 * answers, then the listener closes and the process exits 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { HttpClient } from '../support/http-client.ts';

const PASSWORD = 'a long enough password';
const LOGINS = 12;

/** The server's pid, from the embedded database's lock file. */
function pidOf(server: ServerProcess): number {
  return Number(fs.readFileSync(path.join(server.dataDir, 'keyward.lock'), 'utf8'));
}

/** Resolves once the process `pid` (read before it was signalled: it removes its lock file) is gone (bounded). */
async function exited(server: ServerProcess, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`keyward (pid ${pid}) still runs ${timeoutMs} ms after SIGTERM:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function givenAdmin(server: ServerProcess): Promise<{ slug: string; email: string }> {
  const token = new URL(server.setupLink!).hash.replace('#token=', '');
  const created = await new HttpClient(server.origin).post('/api/v1/setup', {
    token,
    instance: { slug: 'drain', name: 'Drain Test', plan: 'business' },
    admin: { email: 'ada@drain.test', name: 'Ada', password: PASSWORD },
  });
  expect(created.status).toBe(200);
  return { slug: 'drain', email: 'ada@drain.test' };
}

const login = (server: ServerProcess, account: { slug: string; email: string }) =>
  fetch(`${server.origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.origin },
    body: JSON.stringify({ instance: account.slug, email: account.email, password: PASSWORD }),
  }).then(
    (response) => response.status,
    (error: unknown) => `${String(error)} ${String((error as { cause?: unknown }).cause)}`,
  );

describe('graceful drain on SIGTERM', { timeout: 90_000 }, () => {
  let server: ServerProcess | null = null;
  afterEach(async () => {
    await server?.stop().catch(() => {});
    server = null;
  });

  it('answers /readyz 503 during KEYWARD_DRAIN_SECONDS while /livez and requests still answer, then exits 0', async () => {
    server = await startServer({ KEYWARD_DRAIN_SECONDS: '3', LOG_LEVEL: 'info' });
    const account = await givenAdmin(server);
    expect((await fetch(`${server.origin}/readyz`)).status).toBe(200);

    const pid = pidOf(server);
    process.kill(pid, 'SIGTERM');
    const signalled = Date.now();
    let ready = await fetch(`${server.origin}/readyz`);
    for (let tries = 0; ready.status === 200 && tries < 20; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      ready = await fetch(`${server.origin}/readyz`);
    }
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'draining' }]);
    expect((await fetch(`${server.origin}/livez`)).status).toBe(200);
    // Still serving while the load balancer takes the process out of rotation.
    expect(await login(server, account)).toBe(200);
    expect(Date.now() - signalled, 'these answers came within the drain time').toBeLessThan(3_000);

    await exited(server, pid, 20_000);
    await expect(fetch(`${server.origin}/livez`)).rejects.toThrow();
    expect(server.stdout(), server.output()).toContain('"msg":"stopped"');
  });

  it('lets logins in flight at the close finish with their real answers', async () => {
    server = await startServer({ KEYWARD_DRAIN_SECONDS: '0', KEYWARD_HASH_CONCURRENCY: '1', LOG_LEVEL: 'info' });
    const account = await givenAdmin(server);
    // The logins queue behind each other (one embedded database, one hash at a time): SIGTERM
    // goes once the server's request log shows all of them received, most still unanswered.
    let signalledAt = 0;
    const answeredAt: number[] = [];
    const answers = Array.from({ length: LOGINS }, () => login(server!, account).then((status) => (answeredAt.push(Date.now()), status)));
    const received = () =>
      server!
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"url":"/api/v1/auth/login"')).length;
    for (let tries = 0; received() < LOGINS && tries < 1_000; tries += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(received()).toBe(LOGINS);
    const pid = pidOf(server);
    signalledAt = Date.now();
    process.kill(pid, 'SIGTERM');
    const statuses = await Promise.all(answers);
    // Each one a real answer of the login step: a session, 423 for the concurrent attempts the
    // account's login lock refuses, or 429 when this one client already holds its 8 places in
    // the hashing queue (docs/operations.md, "Load"; which of them, depends on timing); never a
    // reset connection or a 5xx from a closing process.
    for (const status of statuses) expect([200, 423, 429], `${statuses.join(', ')}\n${server.output()}`).toContain(status);
    expect(statuses).toContain(200);
    expect(answeredAt.filter((at) => at > signalledAt).length).toBeGreaterThanOrEqual(1);
    await exited(server, pid, 20_000);
    expect(server.stdout(), server.output()).toContain('"msg":"stopped"');
  });
});
