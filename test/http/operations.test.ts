/**
 * The operator's endpoints of SPEC §8 through inject(): liveness, readiness (database, schema,
 * draining) and the Prometheus metrics an operator watches (logins by step, outcome and factor,
 * lockouts, argon2, outbox, HTTP latency by route), and the management port's split.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, openIsolatedDatabase } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, useTestDeps, type TestDeps } from '../support/deps.ts';
import { Client, testApp } from '../support/app.ts';
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { schemaIsCurrent } from '../../src/storage/migrate.ts';
import { createPasswordHasher } from '../../src/crypto/password.ts';
import { createMetrics, type Metrics } from '../../src/http/metrics.ts';
import { buildManagementApp, type Operations } from '../../src/http/plugins/operations.ts';

/** The value of one sample of the scrape `text`, e.g. `keyward_outbox_pending` or `name{a="b"}`; null when absent. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

describe.each(engines())('operations endpoints on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let metrics: Metrics;
  let operations: Operations;
  let app: FastifyInstance;
  // Its own database: the outbox gauges count every instance's mail, and no other file's may be in it.
  useTestDeps(engine, (context) => ({ database, deps } = context), openIsolatedDatabase);

  beforeAll(async () => {
    // Its own hasher, so the argon2 metrics count this file's hashes only.
    const hasher = await createPasswordHasher(1, { observe: (kind, seconds) => metrics.observeHash(kind, seconds) });
    deps = { ...deps, hasher };
    metrics = createMetrics({
      hashQueue: () => hasher.stats(),
      outbox: () => deps.stores.outbox.stats(),
      pool: () => database.poolStats(),
    });
    operations = { ready: () => schemaIsCurrent(database.db), metrics, state: { draining: false } };
    app = await testApp(deps, { operations });
  });
  afterAll(async () => {
    await app?.close();
  });

  const scrape = async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    return response.body;
  };

  it('answers /livez without the database and /readyz with it; readiness is 503 while draining', async () => {
    expect((await app.inject({ method: 'GET', url: '/livez' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect([ready.statusCode, ready.json(), ready.headers['cache-control']]).toEqual([200, { status: 'ok' }, 'no-store']);
    operations.state.draining = true;
    try {
      const draining = await app.inject({ method: 'GET', url: '/readyz' });
      expect([draining.statusCode, draining.json()]).toEqual([503, { status: 'draining' }]);
      expect((await app.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200);
    } finally {
      operations.state.draining = false;
    }
  });

  it('is not ready on a database whose schema is behind this version, nor on one that does not answer', async () => {
    const empty = await openDatabase({ kind: 'pglite-memory' });
    const behind = await testApp(deps, { operations: { ...operations, ready: () => schemaIsCurrent(empty.db) } });
    try {
      const answer = await behind.inject({ method: 'GET', url: '/readyz' });
      expect([answer.statusCode, answer.json()]).toEqual([503, { status: 'unavailable' }]);
      await empty.close();
      expect((await behind.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      expect((await behind.inject({ method: 'GET', url: '/livez' })).statusCode).toBe(200);
    } finally {
      await behind.close();
    }
  });

  it('counts login steps by step, outcome and factor, lockout refusals, argon2 work and latency by route pattern', async () => {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    const before = await scrape();
    const count = (text: string, series: string) => sample(text, series) ?? 0;
    const ok = 'keyward_login_steps_total{step="password",outcome="ok",factor="password"}';
    const wrong = 'keyward_login_steps_total{step="password",outcome="invalid_credentials",factor="password"}';
    const invalid = 'keyward_login_steps_total{step="password",outcome="invalid_request",factor="password"}';
    // Refused before the route (the Origin rule): counted by its code too, not as http_403.
    const csrf = 'keyward_login_steps_total{step="password",outcome="csrf",factor="password"}';
    const verifies = 'keyward_password_hash_duration_seconds_count{kind="verify"}';

    expect((await new Client(app).login(instance.slug, user.email, PASSWORD)).statusCode).toBe(200);
    expect((await new Client(app).login(instance.slug, user.email, 'not the password at all')).statusCode).toBe(401);
    expect((await new Client(app).post('/api/v1/auth/login', { instance: instance.slug })).statusCode).toBe(400);
    const foreign = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { origin: 'https://elsewhere.example' },
      payload: { instance: instance.slug, email: user.email, password: PASSWORD },
    });
    expect(foreign.json()).toMatchObject({ error: { code: 'csrf' } });

    const after = await scrape();
    expect(count(after, csrf) - count(before, csrf)).toBe(1);
    expect(after).not.toContain('outcome="http_403"');
    expect(count(after, ok) - count(before, ok)).toBe(1);
    expect(count(after, wrong) - count(before, wrong)).toBe(1);
    expect(count(after, invalid) - count(before, invalid)).toBe(1);
    // Two verifications (the right and the wrong password); the malformed request hashed nothing.
    expect(count(after, verifies) - count(before, verifies)).toBe(2);
    expect(sample(after, 'keyward_password_hash_running')).toBe(0);
    expect(sample(after, 'keyward_password_hash_waiting')).toBe(0);
    // The route's pattern labels the latency, never the URL as sent.
    expect(after).toMatch(/keyward_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/auth\/login",status="4xx"\} \d+/);
    expect(after).not.toContain(user.email);
    expect(after).toMatch(/^keyward_process_cpu_seconds_total \d/m);
  });

  it('counts a lockout once an account is locked', async () => {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    const series = 'keyward_lockouts_total{step="password",reason="locked"}';
    const before = sample(await scrape(), series) ?? 0;
    const client = new Client(app);
    let locked = 0;
    for (let attempt = 0; attempt < 12 && locked === 0; attempt += 1) {
      const answer = await client.login(instance.slug, user.email, `wrong password number ${attempt}`);
      if (answer.statusCode === 423) locked += 1;
    }
    expect(locked).toBe(1);
    expect((sample(await scrape(), series) ?? 0) - before).toBe(1);
  });

  it('counts the reverse proxy’s questions by endpoint and decision', async () => {
    const series = 'keyward_forward_auth_decisions_total{endpoint="auth-request",decision="proxy_not_trusted"}';
    const before = sample(await scrape(), series) ?? 0;
    // This app trusts no proxy: the question is refused before anything is looked up.
    const answer = await app.inject({
      method: 'GET',
      url: '/api/v1/authz/auth-request',
      headers: { 'x-original-url': 'http://app.example.test/' },
    });
    expect([answer.statusCode, answer.json().error.code]).toEqual([403, 'proxy_not_trusted']);
    expect((sample(await scrape(), series) ?? 0) - before).toBe(1);
  });

  it('reports the outbox: waiting mail, the oldest one’s age and dead mail', async () => {
    // Earlier tests' mail (lockout notices) waits too: the gauges move by what this test adds.
    const before = await scrape();
    const [pending, dead] = [sample(before, 'keyward_outbox_pending')!, sample(before, 'keyward_outbox_dead')!];
    expect(sample(before, 'keyward_outbox_oldest_pending_age_seconds')).toBeLessThan(90);
    const mail = (to: string) => ({ to, subject: 'Hello', sealedText: 'text', sealedHtml: '<p>html</p>' });
    const queuedAt = new Date(Date.now() - 90_000);
    for (const to of ['a@example.test', 'b@example.test', 'c@example.test']) await deps.stores.outbox.enqueue(null, mail(to), queuedAt);
    // One is given up on: claimed (the oldest due: one of these) and marked dead, as the worker does after its retries.
    const [claimed] = await deps.stores.outbox.claimDue(new Date(), new Date(Date.now() + 60_000), 1);
    await deps.stores.outbox.markFailed(claimed!.id, 'gave up', new Date(), true);

    const text = await scrape();
    expect(claimed!.to).toMatch(/^[abc]@example\.test$/);
    expect([sample(text, 'keyward_outbox_pending'), sample(text, 'keyward_outbox_dead')]).toEqual([pending + 2, dead + 1]);
    expect(sample(text, 'keyward_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(90);
    if (engine === 'postgres') expect(sample(text, 'keyward_db_pool_connections{state="max"}')).toBe(3);
    else expect(text).not.toContain('keyward_db_pool_connections{');
  });

  it('serves /metrics only on the management listener when KEYWARD_MANAGEMENT_PORT is set', async () => {
    const publicApp = await testApp(deps, { operations, managementPort: true });
    const management = await buildManagementApp(operations);
    try {
      expect((await publicApp.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
      expect((await publicApp.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      const scraped = await management.inject({ method: 'GET', url: '/metrics' });
      expect([scraped.statusCode, scraped.body]).toEqual([200, expect.stringContaining('keyward_login_steps_total')]);
      expect((await management.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(404);
    } finally {
      await publicApp.close();
      await management.close();
    }
  });
});
