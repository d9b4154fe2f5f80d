import { describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type LightMyRequestResponse } from 'fastify';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import { givenInstance, ORIGIN, type TestDeps } from '../support/deps.ts';
import { testApp, useTestApp } from '../support/app.ts';
import { helmetHeaders, securityHeaderOptions } from '../../src/http/plugins/headers.ts';

/** What @fastify/helmet itself sends with keyward's options: every header but Fastify's own. */
async function pluginHeaders(publicUrl: URL): Promise<Record<string, string>> {
  const app = Fastify({ logger: false });
  await app.register(helmet as FastifyPluginAsync<FastifyHelmetOptions>, securityHeaderOptions(publicUrl));
  app.get('/', async () => 'x');
  const response = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  const { 'content-type': _type, 'content-length': _length, date: _date, connection: _connection, ...rest } = response.headers;
  return rest as Record<string, string>;
}

const securityPart = (response: LightMyRequestResponse, names: string[]) =>
  Object.fromEntries(names.map((name) => [name, response.headers[name]]));

describe('security headers computed once (issue 16)', () => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ deps, app } = t));

  it('are exactly the headers @fastify/helmet sends, over http and over https', async () => {
    for (const url of ['http://127.0.0.1:3000/', 'https://id.example.com/']) {
      const expected = await pluginHeaders(new URL(url));
      const computed = Object.fromEntries((await helmetHeaders(securityHeaderOptions(new URL(url)))).map(([n, v]) => [n.toLowerCase(), v]));
      expect(computed).toEqual(expected);
      expect(Object.keys(computed)).toContain('content-security-policy');
    }
    expect(Object.keys(await pluginHeaders(new URL('https://id.example.com/')))).toContain('strict-transport-security');
  });

  it('reach API answers, errors, unknown paths and the OpenID Connect provider’s raw answers alike', async () => {
    const expected = await pluginHeaders(new URL(ORIGIN));
    const names = Object.keys(expected);
    const { instance } = await givenInstance(deps);
    const answers = [
      await app.inject({ method: 'GET', url: '/api/v1/health' }),
      await app.inject({ method: 'GET', url: '/api/v1/me' }),
      await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: {} }),
      await app.inject({ method: 'GET', url: '/nope' }),
      await app.inject({ method: 'GET', url: '/livez' }),
      await app.inject({ method: 'GET', url: `/i/${instance.slug}/.well-known/openid-configuration` }),
    ];
    expect(answers.map((response) => response.statusCode)).toEqual([200, 401, 403, 404, 200, 200]);
    for (const response of answers) expect(securityPart(response, names)).toEqual(expected);
    // API answers are never cached; others keep their own cache-control.
    expect(answers.slice(0, 3).map((response) => response.headers['cache-control'])).toEqual(['no-store', 'no-store', 'no-store']);
  });

  it('send HSTS and upgrade-insecure-requests only for an https PUBLIC_URL', async () => {
    const https = await testApp(deps, { publicUrl: new URL('https://id.example.com/') });
    try {
      const response = await https.inject({ method: 'GET', url: '/api/v1/health' });
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(String(response.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
    } finally {
      await https.close();
    }
    const plain = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    expect(String(plain.headers['content-security-policy'])).not.toContain('upgrade-insecure-requests');
  });
});
