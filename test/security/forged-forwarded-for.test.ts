import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { givenInstance, ORIGIN, PASSWORD, uniqueSlug, type TestDeps } from '../support/deps.ts';
import { testApp, useTestApp } from '../support/app.ts';
import { engines } from '../support/db.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import type { AppOptions } from '../../src/http/app.ts';

// Issue 10 item 7: TRUST_PROXY=true believed whatever a client wrote into X-Forwarded-For, and a
// believed entry was stored as the client's address even when it was no address at all (per-IP
// limits, known locations and audit IPs forged). What keyward believes must be an IP address
// (checklist RD-05, OWASP ASVS 5.0 V16.2 "accurate" log metadata); otherwise the socket's.
describe.each(engines())('forged X-Forwarded-For (%s)', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  useTestApp(engine, (t) => ({ database, deps } = t));
  const apps: FastifyInstance[] = [];
  const appWith = async (trustProxy: AppOptions['trustProxy']) => {
    const app = await testApp(deps, { trustProxy });
    apps.push(app);
    return app;
  };
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  /** Logs the admin in through `app` from `remoteAddress` and returns the IP stored on the session. */
  const sessionIp = async (app: FastifyInstance, remoteAddress: string, forwardedFor?: string) => {
    const { instance, admin } = await givenInstance(deps);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress,
      headers: { origin: ORIGIN, ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) },
      payload: { instance: instance.slug, email: admin.email, password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const id = String(response.headers['set-cookie']).split('=')[1]!.split('.')[0]!;
    return (await database.db.selectFrom('sessions').select('ip').where('id', '=', id).executeTakeFirstOrThrow()).ip;
  };

  let proxied: FastifyInstance;
  beforeAll(async () => {
    proxied = await appWith(['127.0.0.1']);
  });

  it('falls back to the socket address when the believed entry is not an IP address', async () => {
    for (const forged of [
      'not-an-ip',
      '<script>alert(1)</script>',
      '203.0.113.9.1',
      '999.1.1.1',
      'unknown',
      '203.0.113.9:4711',
      "' or 1=1 --",
    ]) {
      expect(await sessionIp(proxied, '127.0.0.1', forged), forged).toBe('127.0.0.1');
    }
  });

  it('believes only the hop next to a trusted proxy, whatever the client put in front of it', async () => {
    expect(await sessionIp(proxied, '127.0.0.1', 'forged-by-client, 198.51.100.4, 203.0.113.9')).toBe('203.0.113.9');
    const oneHop = await appWith(1);
    expect(await sessionIp(oneHop, '10.9.8.7', '198.51.100.4, 203.0.113.9')).toBe('203.0.113.9');
    const twoHops = await appWith(2);
    expect(await sessionIp(twoHops, '10.9.8.7', '198.51.100.4, 203.0.113.9')).toBe('198.51.100.4');
    expect(await sessionIp(twoHops, '10.9.8.7', 'garbage, 203.0.113.9')).toBe('10.9.8.7');
    // Not behind a proxy, the header is ignored altogether.
    expect(await sessionIp(await appWith(false), '10.9.8.7', '203.0.113.9')).toBe('10.9.8.7');
  });

  it('stores IPv4-mapped IPv6 addresses as plain IPv4, from the socket and from the proxy', async () => {
    expect(await sessionIp(await appWith(false), '::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(await sessionIp(proxied, '127.0.0.1', '::FFFF:203.0.113.9')).toBe('203.0.113.9');
    expect(await sessionIp(await appWith(['::1']), '::1', '2001:DB8::1')).toBe('2001:db8::1');
  });

  it('writes the same checked address into the audit log', async () => {
    const { instance, admin } = await givenInstance(deps);
    const headers = { origin: ORIGIN, 'x-forwarded-for': 'not-an-ip' };
    const login = await proxied.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '127.0.0.1',
      headers,
      payload: { instance: instance.slug, email: admin.email, password: PASSWORD },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const invite = await proxied.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      remoteAddress: '127.0.0.1',
      headers: { ...headers, cookie },
      payload: { email: `new@${uniqueSlug()}.test`, name: 'New Person', role: 'member' },
    });
    expect(invite.statusCode).toBe(201);
    const event = await database.db
      .selectFrom('audit_events')
      .select('ip')
      .where('instance_id', '=', instance.id)
      .where('action', '=', 'user.invited')
      .executeTakeFirstOrThrow();
    expect(event.ip).toBe('127.0.0.1');
  });
});
