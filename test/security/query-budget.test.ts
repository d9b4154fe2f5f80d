import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, useCountedTestApp } from '../support/app.ts';
import { QueryCounter } from '../support/query-counter.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp } from '../support/two-factor.ts';
import { givenMachineClient, machineTokenOf } from '../support/oidc.ts';

// The performance budget of DEVELOPERS.md: at most 3 statements per login step, 1 per
// authenticated request. Counting statements is deterministic, unlike timing.
describe.each(engines())('SQL statements per request on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  const counter = new QueryCounter();
  useCountedTestApp(engine, counter, (t) => ({ deps, app } = t));

  it('logs in with a password in at most 3 statements', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    counter.reset();
    expect((await client.login(instance.slug, admin.email, PASSWORD)).statusCode).toBe(200);
    expect(counter.count).toBe(3);
  });

  it('refuses a wrong password in at most 3 statements', async () => {
    const { instance, admin } = await givenInstance(deps);
    counter.reset();
    expect((await new Client(app).login(instance.slug, admin.email, 'wrong password!')).statusCode).toBe(401);
    expect(counter.count).toBe(3);
  });

  it('answers an authenticated GET /me with 1 statement', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    deps.clock.advanceSeconds(120);
    counter.reset();
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
    expect(counter.count).toBe(1);
  });

  it('lists the user’s sessions (My Profile → Sessions) with 1 statement', async () => {
    const { instance, admin } = await givenInstance(deps);
    const other = new Client(app);
    await other.login(instance.slug, admin.email, PASSWORD);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    deps.clock.advanceSeconds(120);
    counter.reset();
    const listed = await client.get('/api/v1/me/sessions');
    expect(listed.json().sessions).toHaveLength(2);
    expect(counter.count).toBe(1);
  });

  it('passes each step of a password + TOTP login in at most 3 statements', async () => {
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    await owner.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(owner, deps);
    const client = new Client(app);
    counter.reset();
    // The code prompt names the instance as the authenticator app lists it (issue 13), from the
    // rows the step loads anyway: no statement more.
    expect((await client.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({
      next: 'verify',
      methods: ['totp', 'backup_code'],
      issuer: `${instance.name} (keyward)`,
    });
    expect(counter.count).toBe(3);
    counter.reset();
    expect(
      (await client.post('/api/v1/auth/verify', { code: '000000' === oathtool(secret, deps.clock.now()) ? '111111' : '000000' }))
        .statusCode,
    ).toBe(401);
    expect(counter.count).toBe(3);
    counter.reset();
    expect((await client.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
    expect(counter.count).toBe(3);
    // From the known location now: no code, still at most 3.
    counter.reset();
    expect((await client.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
    expect(counter.count).toBe(3);
  });

  // Issue 13: a search's matches are counted (up to 10,000 rows) for its first page only; "Load
  // more" keeps that count, so a later page is one statement less and says no count of its own.
  it('counts a search’s matches on its first page only, not on the pages that follow', async () => {
    const { instance, admin } = await givenInstance(deps);
    for (const n of [1, 2, 3]) await givenUser(deps, instance, `match-${n}@${instance.slug}.test`);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    counter.reset();
    const first = await client.get(`/api/v1/admin/users?q=${instance.slug}&limit=2`);
    const firstCount = counter.count;
    expect(first.json()).toMatchObject({ matches: 4, matchesCapped: false });
    counter.reset();
    const later = await client.get(`/api/v1/admin/users?q=${instance.slug}&limit=2&cursor=${first.json().nextCursor}`);
    expect(later.statusCode).toBe(200);
    expect(later.json().users).toHaveLength(2);
    expect(later.json()).not.toHaveProperty('matches');
    expect(counter.count).toBe(firstCount - 1);
  });

  it('logs out with 1 statement', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    counter.reset();
    expect((await client.post('/api/v1/auth/logout')).statusCode).toBe(204);
    expect(counter.count).toBe(1);
  });

  it('authenticates a machine client’s Bearer token with 1 statement, as a cookie is', async () => {
    const { instance, admin } = await givenInstance(deps);
    const machine = await givenMachineClient(deps, instance);
    const bearer = { authorization: `Bearer ${await machineTokenOf(app, instance, machine)}` };
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    deps.clock.advanceSeconds(120);
    counter.reset();
    expect((await client.get('/api/v1/admin/users')).statusCode).toBe(200);
    const withCookie = counter.count;
    counter.reset();
    expect((await app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: bearer })).statusCode).toBe(200);
    expect(counter.count).toBe(withCookie);
    // The authentication alone: a route the token may not open is refused after its one lookup.
    counter.reset();
    expect((await app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: bearer })).statusCode).toBe(403);
    expect(counter.count).toBe(1);
  });
});
