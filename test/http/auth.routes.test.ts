import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp, useTestApp } from '../support/app.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS } from '../../src/domain/session/session.ts';

describe('POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/me', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ database, deps, app } = t));

  it('logs in with instance, email in any case and password, and GET /me describes the user', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const client = new Client(app);
    const login = await client.login(instance.slug, admin.email.toUpperCase(), PASSWORD);
    expect(login.statusCode).toBe(200);
    expect(login.json()).toEqual({ next: 'done' });
    const me = await client.get('/api/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      id: admin.id,
      email: admin.email,
      name: 'Ada Admin',
      role: 'admin',
      instance: { slug: instance.slug, name: instance.name, plan: 'enterprise' },
      twoFactor: { enabled: false, associated: false, status: 'off', enforced: false },
      passwordExpiresAt: null,
      passwordWarningFrom: null,
      secondFactor: null,
      passwordMinLength: 15,
    });
    expect(me.headers['cache-control']).toBe('no-store');
  });

  it('sets an HttpOnly, SameSite=Lax, Path=/ session cookie holding only an opaque token', async () => {
    const { instance, admin } = await givenInstance(deps);
    const login = await new Client(app).login(instance.slug, admin.email, PASSWORD);
    const header = String(login.headers['set-cookie']);
    expect(header).toMatch(/^keyward_session=[A-Za-z0-9_-]{20}\.[A-Za-z0-9_-]{43};/);
    expect(header).toContain('HttpOnly');
    expect(header).toContain('SameSite=Lax');
    expect(header).toContain('Path=/');
    expect(header).not.toMatch(/Domain=/i);
    expect(header).toContain(`Max-Age=${SESSION_ABSOLUTE_SECONDS}`);
    expect(header).not.toContain(admin.id);
  });

  it('marks the cookie Secure with the __Host- prefix when PUBLIC_URL is https', async () => {
    const httpsApp = await testApp(deps, { publicUrl: new URL('https://keyward.example') });
    const { instance, admin } = await givenInstance(deps);
    const login = await httpsApp.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { origin: 'https://keyward.example' },
      payload: { instance: instance.slug, email: admin.email, password: PASSWORD },
    });
    expect(String(login.headers['set-cookie'])).toMatch(/^__Host-keyward_session=.*; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    expect(login.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    await httpsApp.close();
  });

  it('answers unknown instance, unknown email and wrong password identically', async () => {
    const { instance, admin } = await givenInstance(deps);
    const attempts = [
      { instance: 'no-such-instance', email: admin.email, password: PASSWORD },
      { instance: instance.slug, email: 'nobody@example.test', password: PASSWORD },
      { instance: instance.slug, email: admin.email, password: `${PASSWORD}!` },
    ];
    const answers = [];
    for (const body of attempts) {
      const response = await new Client(app).post('/api/v1/auth/login', body);
      answers.push({
        status: response.statusCode,
        body: response.body,
        cookie: response.headers['set-cookie'],
        headers: Object.keys(response.headers).sort(),
      });
    }
    expect(answers[0]!.status).toBe(401);
    expect(JSON.parse(answers[0]!.body).error.code).toBe('invalid_credentials');
    expect(answers[0]!.cookie).toBeUndefined();
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('spends one argon2id verification on unknown accounts as on known ones', async () => {
    const counted = { verify: 0, dummy: 0 };
    const countingDeps = {
      ...deps,
      hasher: {
        ...deps.hasher,
        verify: (h: string, p: string) => ((counted.verify += 1), deps.hasher.verify(h, p)),
        verifyDummy: (p: string) => ((counted.dummy += 1), deps.hasher.verifyDummy(p)),
      },
    };
    const countingApp = await testApp(countingDeps);
    const { instance, admin } = await givenInstance(deps);
    await new Client(countingApp).login('no-such-instance', admin.email, PASSWORD);
    await new Client(countingApp).login(instance.slug, 'nobody@example.test', PASSWORD);
    await new Client(countingApp).login(instance.slug, admin.email, 'wrong password here');
    expect(counted).toEqual({ verify: 1, dummy: 2 });
    await countingApp.close();
  });

  it('refuses a user without a password yet, after the same work', async () => {
    const { instance } = await givenInstance(deps);
    const { createUser } = await import('../../src/domain/account/create-user.ts');
    const user = await createUser(deps, { instanceSlug: instance.slug, email: 'nopw@example.test', role: 'member', password: null });
    const response = await new Client(app).login(instance.slug, user.email, PASSWORD);
    expect(response.statusCode).toBe(401);
    expect(errorCode(response)).toBe('invalid_credentials');
  });

  it('refuses a disabled user like an unknown one, and says disabled only after the correct password', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    await database.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', member.id).execute();
    const wrong = await new Client(app).login(instance.slug, member.email, 'not the right password');
    expect(wrong.statusCode).toBe(401);
    expect(errorCode(wrong)).toBe('invalid_credentials');
    const right = await new Client(app).login(instance.slug, member.email, PASSWORD);
    expect(right.statusCode).toBe(403);
    expect(errorCode(right)).toBe('account_disabled');
    expect(right.headers['set-cookie']).toBeUndefined();
  });

  it('ends the sessions of a user who is disabled', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const client = new Client(app);
    await client.login(instance.slug, member.email, PASSWORD);
    await database.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', member.id).execute();
    expect(errorCode(await client.get('/api/v1/me'))).toBe('unauthenticated');
  });

  it('accepts the password in another Unicode normal form', async () => {
    const { instance } = await givenInstance(deps);
    const composed = 'caf\u00e9 au lait, s\u2019il vous pla\u00eet';
    const { createUser } = await import('../../src/domain/account/create-user.ts');
    const user = await createUser(deps, { instanceSlug: instance.slug, email: 'nfc@example.test', role: 'member', password: composed });
    const response = await new Client(app).login(instance.slug, user.email, composed.normalize('NFD'));
    expect(response.json()).toEqual({ next: 'done' });
  });

  it('issues a new session id at login and ends the session the client held before', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const first = client.cookies.get('keyward_session')!;
    await client.login(instance.slug, admin.email, PASSWORD);
    const second = client.cookies.get('keyward_session')!;
    expect(second).not.toBe(first);
    const old = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `keyward_session=${first}` } });
    expect(old.statusCode).toBe(401);
  });

  it('never adopts a session id chosen by the client (fixation)', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    const planted = `${'a'.repeat(20)}.${'b'.repeat(43)}`;
    client.cookies.set('keyward_session', planted);
    await client.login(instance.slug, admin.email, PASSWORD);
    expect(client.cookies.get('keyward_session')).not.toBe(planted);
    const withPlanted = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `keyward_session=${planted}` } });
    expect(withPlanted.statusCode).toBe(401);
  });

  it('logs out: the session ends on the server, the cookie is cleared, and replaying it is 401', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const token = client.cookies.get('keyward_session')!;
    const logout = await client.post('/api/v1/auth/logout');
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/keyward_session=;.*Expires=Thu, 01 Jan 1970/);
    const replay = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `keyward_session=${token}` } });
    expect(replay.statusCode).toBe(401);
    expect(errorCode(replay)).toBe('unauthenticated');
  });

  it('answers 401 unauthenticated without a session, with a malformed one, and with a forged secret', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const [id] = client.cookies.get('keyward_session')!.split('.');
    for (const cookie of [undefined, 'keyward_session=garbage', `keyward_session=${id}.${'x'.repeat(43)}`]) {
      const response = await app.inject({ method: 'GET', url: '/api/v1/me', headers: cookie ? { cookie } : {} });
      expect(response.statusCode).toBe(401);
      expect(errorCode(response)).toBe('unauthenticated');
    }
  });

  it('ends a session idle for longer than the limit, and keeps an active one', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    deps.clock.advanceSeconds(SESSION_IDLE_SECONDS - 60);
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
    deps.clock.advanceSeconds(SESSION_IDLE_SECONDS - 60);
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
    deps.clock.advanceSeconds(SESSION_IDLE_SECONDS + 1);
    expect((await client.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('ends a session at the absolute limit however active it is', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    for (let elapsed = 0; elapsed < SESSION_ABSOLUTE_SECONDS - 600; elapsed += 600) {
      deps.clock.advanceSeconds(600);
      expect((await client.get('/api/v1/me')).statusCode).toBe(200);
    }
    deps.clock.advanceSeconds(601);
    expect((await client.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('answers 204 to logout without a session', async () => {
    const response = await new Client(app).post('/api/v1/auth/logout');
    expect(response.statusCode).toBe(204);
  });
});
