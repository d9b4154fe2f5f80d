import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { openTestDatabase } from '../support/db.ts';
import { testDeps, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp } from '../support/app.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { openFirstRun, SETUP_LINK_TTL_SECONDS } from '../../src/domain/setup/first-run.ts';

// First-run setup is about an empty database, so each test here gets its own.
describe('first-run setup: GET and POST /api/v1/setup', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  beforeEach(async () => {
    database = await openTestDatabase('pglite');
    deps = await testDeps(database);
    app = await testApp(deps);
  });
  afterEach(async () => {
    await app.close();
    await database.close();
  });

  const body = (token: string, slug = 'acme') => ({
    token,
    instance: { slug, name: 'Acme Inc.', plan: 'enterprise' },
    admin: { email: 'ada@acme.test', name: 'Ada Lovelace', password: 'analytical engine 1843' },
  });
  const tokenOf = (link: string) => new URL(link).hash.replace('#token=', '');

  it('creates the first instance and its administrator with the printed link, and logs the admin in', async () => {
    const link = await openFirstRun(deps);
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/setup#token=[A-Za-z0-9_-]{43}$/);
    const client = new Client(app);
    expect((await client.get('/api/v1/setup')).json()).toEqual({ open: true });
    const created = await client.post('/api/v1/setup', body(tokenOf(link!)));
    expect(created.statusCode).toBe(200);
    expect(created.json()).toEqual({ next: 'done' });
    const me = (await client.get('/api/v1/me')).json();
    expect(me).toMatchObject({
      email: 'ada@acme.test',
      name: 'Ada Lovelace',
      role: 'admin',
      instance: { slug: 'acme', plan: 'enterprise' },
    });
    expect((await client.get('/api/v1/setup')).json()).toEqual({ open: false });
    const login = await new Client(app).login('acme', 'ada@acme.test', 'analytical engine 1843');
    expect(login.json()).toEqual({ next: 'done' });
  });

  it('refuses the link a second time and prints no new link once an instance exists', async () => {
    const link = await openFirstRun(deps);
    await new Client(app).post('/api/v1/setup', body(tokenOf(link!)));
    const again = await new Client(app).post('/api/v1/setup', body(tokenOf(link!), 'other'));
    expect(again.statusCode).toBe(403);
    expect(errorCode(again)).toBe('forbidden');
    expect(await openFirstRun(deps)).toBeNull();
  });

  it('refuses a wrong token, an expired one, and one replaced by a newer start', async () => {
    const first = await openFirstRun(deps);
    const second = await openFirstRun(deps);
    expect(errorCode(await new Client(app).post('/api/v1/setup', body('x'.repeat(43))))).toBe('forbidden');
    expect(errorCode(await new Client(app).post('/api/v1/setup', body(tokenOf(first!))))).toBe('forbidden');
    deps.clock.advanceSeconds(SETUP_LINK_TTL_SECONDS + 1);
    expect(errorCode(await new Client(app).post('/api/v1/setup', body(tokenOf(second!))))).toBe('forbidden');
    expect((await new Client(app).get('/api/v1/setup')).json()).toEqual({ open: true });
  });

  it('keeps the link usable after invalid input, which changes nothing', async () => {
    const link = await openFirstRun(deps);
    const token = tokenOf(link!);
    const weak = await new Client(app).post('/api/v1/setup', {
      ...body(token),
      admin: { email: 'ada@acme.test', name: 'Ada', password: 'short' },
    });
    expect(weak.statusCode).toBe(422);
    expect(errorCode(weak)).toBe('weak_password');
    expect(weak.json().error.field).toBe('admin.password');
    // Mostly the administrator's name or the instance's (NIST SP 800-63B-4 §3.1.1.2, issue 13).
    for (const password of ['Ada Lovelace 1815!', 'AcmeInc.AcmeInc.', 'ada@acme.test-2026']) {
      const personal = await new Client(app).post('/api/v1/setup', { ...body(token), admin: { ...body(token).admin, password } });
      expect(errorCode(personal)).toBe('weak_password');
      expect(personal.json().error).toMatchObject({ field: 'admin.password', reason: 'context_words' });
    }
    const badSlug = await new Client(app).post('/api/v1/setup', body(token, 'Not A Slug'));
    expect(badSlug.statusCode).toBe(400);
    expect(badSlug.json().error.field).toBe('instance.slug');
    const badPlan = await new Client(app).post('/api/v1/setup', { ...body(token), instance: { slug: 'acme', name: 'A', plan: 'gold' } });
    expect(badPlan.json().error.field).toBe('instance.plan');
    expect((await new Client(app).get('/api/v1/setup')).json()).toEqual({ open: true });
    expect((await new Client(app).post('/api/v1/setup', body(token))).statusCode).toBe(200);
  });

  it('lets exactly one of two concurrent submissions create the instance', async () => {
    const link = await openFirstRun(deps);
    const token = tokenOf(link!);
    const results = await Promise.all([
      new Client(app).post('/api/v1/setup', body(token, 'one')),
      new Client(app).post('/api/v1/setup', body(token, 'two')),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 403]);
  });

  it('queues the welcome mail with the instance and shows it in the dev mailbox once delivered', async () => {
    const link = await openFirstRun(deps);
    await new Client(app).post('/api/v1/setup', body(tokenOf(link!)));
    expect((await new Client(app).get('/api/v1/dev/mailbox')).json().messages).toEqual([]);
    await deps.mail.drain();
    const { messages } = (await new Client(app).get('/api/v1/dev/mailbox')).json();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ to: 'ada@acme.test', subject: 'Your Acme Inc. account' });
    expect(messages[0].text).toContain('http://127.0.0.1:3000/login?instance=acme');
    expect(messages[0].html).toContain('Acme Inc.');
    expect(new Date(messages[0].sentAt).toString()).not.toBe('Invalid Date');
  });

  it('has no dev mailbox route when the dev mailbox is off', async () => {
    const production = await testApp(deps, { devMailbox: false });
    const response = await production.inject({ method: 'GET', url: '/api/v1/dev/mailbox' });
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('not_found');
    await production.close();
  });
});
