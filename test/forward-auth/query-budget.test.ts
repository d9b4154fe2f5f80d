import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, useCountedTestApp } from '../support/app.ts';
import { QueryCounter } from '../support/query-counter.ts';
import { newIdSecretToken } from '../../src/crypto/token.ts';
import { createProtectedApp } from '../../src/domain/forward-auth/manage-protected-apps.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';

// The budget of docs/performance.md: 1 statement per authenticated request, and the proxy asks
// before every request to a protected application.
describe.each(engines())('SQL statements per forward-auth question on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const counter = new QueryCounter();
  useCountedTestApp(engine, counter, (t) => ({ deps, app, database } = t), { trustProxy: ['127.0.0.1'] });

  it('answers auth-request with 1 statement, with a forward session and without one', async () => {
    const { instance, admin } = await givenInstance(deps);
    const host = `budget-${instance.slug}.example.test`;
    const protectedApp = await createProtectedApp(
      deps,
      { instanceId: instance.id, actor: { type: 'cli', id: null, label: 'CLI: test' }, client: { ip: null, userAgent: null } },
      { name: 'Budget', hosts: [host] },
    );
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const sessionId = client.cookies.get('keyward_session')!.split('.')[0]!;
    // The set-up's forward session as the callback stores it (the callback has its own tests).
    const forward = newIdSecretToken();
    const now = deps.clock.now();
    await database.db
      .insertInto('forward_sessions')
      .values({
        id: forward.id,
        secret_hash: forward.secretHash,
        instance_id: instance.id,
        app_id: protectedApp.id,
        session_id: sessionId,
        host,
        created_at: now,
        expires_at: new Date(now.getTime() + 3600_000),
      })
      .execute();
    const ask = (cookie?: string) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/authz/auth-request',
        remoteAddress: '127.0.0.1',
        headers: { 'x-original-url': `https://${host}/page`, ...(cookie ? { cookie: `__Host-keyward_fa=${cookie}` } : {}) },
      });
    deps.clock.advanceSeconds(120);
    // The first answer loads the instance's signing key (kept for a minute, as the provider keeps it).
    expect((await ask(forward.token)).statusCode).toBe(200);
    counter.reset();
    expect((await ask(forward.token)).statusCode).toBe(200);
    expect(counter.count).toBe(1);
    counter.reset();
    expect((await ask()).statusCode).toBe(401);
    expect(counter.count).toBe(1);

    // Parent-domain mode: a session made on app A, asked about at app B of the same domain, over
    // https (so the `__Secure-` name), with a host cookie beside it: still one statement.
    const parent = `pd-${instance.slug}.example.test`;
    const by = {
      instanceId: instance.id,
      actor: { type: 'cli' as const, id: null, label: 'CLI: test' },
      client: { ip: null, userAgent: null },
    };
    const appA = await createProtectedApp(deps, by, { name: 'A', hosts: [`a.${parent}`], cookieDomain: parent });
    await createProtectedApp(deps, by, { name: 'B', hosts: [`b.${parent}`], cookieDomain: parent });
    const domainForward = newIdSecretToken();
    await database.db
      .insertInto('forward_sessions')
      .values({
        id: domainForward.id,
        secret_hash: domainForward.secretHash,
        instance_id: instance.id,
        app_id: appA.id,
        session_id: sessionId,
        host: `a.${parent}`,
        cookie_domain: parent,
        created_at: now,
        expires_at: new Date(now.getTime() + 3600_000),
      })
      .execute();
    const askB = (cookie: string) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/authz/auth-request',
        remoteAddress: '127.0.0.1',
        headers: { 'x-original-url': `https://b.${parent}/page`, cookie },
      });
    counter.reset();
    expect((await askB(`__Host-keyward_fa=${forward.token}; __Secure-keyward_fa_d=${domainForward.token}`)).statusCode).toBe(200);
    expect(counter.count).toBe(1);
    counter.reset();
    // The host-only app's session is not B's, whichever name it comes under.
    expect((await askB(`__Secure-keyward_fa_d=${forward.token}`)).statusCode).toBe(401);
    expect(counter.count).toBe(1);
  });
});
