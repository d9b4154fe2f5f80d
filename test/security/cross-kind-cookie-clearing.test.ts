import { describe, expect, it } from 'vitest';
import { givenOperatorLoggedIn } from '../support/two-factor.ts';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';

// Issue 10 item 22: the web app asks the instance's GET /api/v1/me on every path, and that route
// answered an operator's `op.` cookie with 401 and a cookie-clearing Set-Cookie, so the support
// console logged its operator out on every reload or second tab. A route clears only a session
// of its own kind (checklist ADM-06: the two kinds are separate channels).
describe.each(engines())('a route never clears a session of the other kind (%s)', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  const operatorLoggedIn = async (): Promise<Client> => (await givenOperatorLoggedIn(app, deps)).client;

  it('answers an operator cookie on instance routes with 401 and no Set-Cookie; the operator stays logged in', async () => {
    const operator = await operatorLoggedIn();
    for (const url of ['/api/v1/me', '/api/v1/admin/users', '/api/v1/me/known-locations']) {
      const response = await operator.get(url);
      expect(response.statusCode, url).toBe(401);
      expect(errorCode(response)).toBe('unauthenticated');
      expect(response.headers['set-cookie'], url).toBeUndefined();
    }
    expect((await operator.get('/api/v1/support/me')).statusCode).toBe(200);
  });

  it('answers an instance cookie on support routes without clearing it, logout included; the user stays logged in', async () => {
    const { instance, admin } = await givenInstance(deps);
    const user = new Client(app);
    await user.login(instance.slug, admin.email, PASSWORD);
    const me = await user.get('/api/v1/support/me');
    expect(me.statusCode).toBe(401);
    expect(me.headers['set-cookie']).toBeUndefined();
    const logout = await user.post('/api/v1/support/logout');
    expect(logout.statusCode).toBe(204);
    expect(logout.headers['set-cookie']).toBeUndefined();
    expect((await user.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('still clears a session cookie of its own kind that no longer works', async () => {
    const { instance, admin } = await givenInstance(deps);
    const user = new Client(app);
    await user.login(instance.slug, admin.email, PASSWORD);
    await new Client(app).request({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: `keyward_session=${user.cookies.get('keyward_session')}` },
    });
    const instanceRoute = await user.get('/api/v1/me');
    expect(instanceRoute.statusCode).toBe(401);
    expect(String(instanceRoute.headers['set-cookie'])).toMatch(/^keyward_session=;.*Max-Age=0|Expires=Thu, 01 Jan 1970/);
    const operator = await operatorLoggedIn();
    await new Client(app).request({
      method: 'POST',
      url: '/api/v1/support/logout',
      headers: { cookie: `keyward_session=${operator.cookies.get('keyward_session')}` },
    });
    expect(String((await operator.post('/api/v1/support/logout')).headers['set-cookie'])).toMatch(/^keyward_session=;/);
  });
});
