import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { givenInstance, ORIGIN, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp, useTestApp } from '../support/app.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';

describe('errors, CSRF, content types, headers and logs', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ database, deps, app } = t));

  const login = (headers: Record<string, string>, payload: unknown = { instance: 'x', email: 'a@b.test', password: 'p' }) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', headers, payload: payload as object });

  it('refuses a state-changing request without Origin, from another origin, or marked cross-site', async () => {
    const { instance, admin } = await givenInstance(deps);
    const body = { instance: instance.slug, email: admin.email, password: PASSWORD };
    const variants: Array<Record<string, string>> = [
      {},
      { origin: 'https://evil.example' },
      { origin: ORIGIN, 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ];
    for (const headers of variants) {
      const response = await login(headers, body);
      expect(response.statusCode).toBe(403);
      expect(errorCode(response)).toBe('csrf');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
  });

  it('accepts our origin in its loopback spellings', async () => {
    const { instance, admin } = await givenInstance(deps);
    for (const origin of ['http://127.0.0.1:3000', 'http://localhost:3000']) {
      const response = await login({ origin }, { instance: instance.slug, email: admin.email, password: PASSWORD });
      expect(response.statusCode).toBe(200);
    }
  });

  it('refuses logout from another site, keeping the session', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const forged = await client.post('/api/v1/auth/logout', undefined, { origin: 'https://evil.example' });
    expect(errorCode(forged)).toBe('csrf');
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('answers 400 invalid_request naming the field for missing, empty, mistyped and batched values', async () => {
    const cases: Array<[unknown, string]> = [
      [{ email: 'a@b.test', password: 'p' }, 'instance'],
      [{ instance: 'x', email: 'a@b.test', password: '' }, 'password'],
      [{ instance: 'x', email: 'a@b.test', password: 123 }, 'password'],
      [{ instance: 'x', email: ['a@b.test', 'c@d.test'], password: 'p' }, 'email'],
      [{ instance: 'x', email: 'a@b.test', password: { $ne: '' } }, 'password'],
      [{ instance: 'x', email: 'a@b.test', password: 'p', admin: true }, 'body'],
    ];
    for (const [payload, field] of cases) {
      const response = await login({ origin: ORIGIN }, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe('invalid_request');
      expect(response.json().error.field).toBe(field);
    }
  });

  it('answers 400 to malformed JSON and an empty JSON body', async () => {
    for (const payload of ['{"instance":', '']) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(errorCode(response)).toBe('invalid_request');
    }
  });

  it('refuses JSON sent as a simple content type with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { origin: ORIGIN, 'content-type': type },
        payload: '{"instance":"x","email":"a@b.test","password":"p"}',
      });
      expect(response.statusCode).toBe(415);
      expect(errorCode(response)).toBe('unsupported_media_type');
    }
  });

  it('refuses an oversized body with 413 and an overlong password with 400, quickly', async () => {
    const huge = await login({ origin: ORIGIN }, { instance: 'x', email: 'a@b.test', password: 'p'.repeat(1_000_000) });
    expect(huge.statusCode).toBe(413);
    expect(errorCode(huge)).toBe('payload_too_large');
    const long = await login({ origin: ORIGIN }, { instance: 'x', email: 'a@b.test', password: 'p'.repeat(5000) });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.field).toBe('password');
  });

  it('answers unknown API routes with 404 not_found in the error shape', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('not_found');
  });

  it('sends a strict CSP, no framing, no referrer and nosniff on every response', async () => {
    for (const url of ['/api/v1/health', '/api/v1/nope']) {
      const response = await app.inject({ method: 'GET', url });
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('never writes passwords, cookies or session tokens to the request log', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const loggedApp = await testApp(deps, { logger: { level: 'trace', stream } as never });
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(loggedApp);
    await client.login(instance.slug, admin.email, PASSWORD);
    const token = client.cookies.get('keyward_session')!;
    await client.get('/api/v1/me');
    await client.login(instance.slug, admin.email, 'a wrong password 123');
    await loggedApp.close();
    const log = lines.join('');
    expect(log).toContain('/api/v1/auth/login');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain('a wrong password 123');
    expect(log).not.toContain(token.split('.')[1]);
    expect(log).not.toContain(token.split('.')[0]);
  });

  it('takes the client address from X-Forwarded-For only behind a trusted proxy', async () => {
    const { instance, admin } = await givenInstance(deps);
    const direct = await testApp(deps);
    const proxied = await testApp(deps, { trustProxy: ['127.0.0.1'] });
    for (const [target, expected] of [
      [direct, '127.0.0.1'],
      [proxied, '203.0.113.9'],
    ] as const) {
      const response = await target.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '127.0.0.1',
        headers: { origin: ORIGIN, 'x-forwarded-for': '203.0.113.9' },
        payload: { instance: instance.slug, email: admin.email, password: PASSWORD },
      });
      const id = String(response.headers['set-cookie']).split('=')[1]!.split('.')[0]!;
      const row = await database.db.selectFrom('sessions').select('ip').where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.ip).toBe(expected);
      await target.close();
    }
  });
});
