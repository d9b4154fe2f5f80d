/**
 * The API contract's structure: every route names its success answer (the allow-list of what
 * leaves), admin routes refuse members in their context's guard, and support routes refuse a
 * user's session. The routes are read from the app itself, so a route added later is covered.
 */
import { describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, useTestApp } from '../support/app.ts';
import { listRoutes } from '../support/routes.ts';
import { requireResponseSchemas } from '../../src/http/plugins/response-schemas.ts';

/** A body each route's schema accepts, where an empty one would be refused before the guard runs. */
const VALID_BODIES: Record<string, unknown> = {
  'POST /api/v1/admin/users': { email: 'new@example.test', name: 'New Person', role: 'member' },
  'PATCH /api/v1/admin/users/:id': { role: 'admin' },
  'PUT /api/v1/admin/instance-settings': { knownLocations: { trustDays: 1 } },
  'PUT /api/v1/admin/password-policy': {},
  'POST /api/v1/admin/oidc/clients': { name: 'App', redirectUris: ['https://app.example.test/cb'] },
  'PATCH /api/v1/admin/oidc/clients/:clientId': { name: 'App 2' },
  'POST /api/v1/admin/protected-apps': { name: 'App', hosts: ['app.example.test'] },
  'PATCH /api/v1/admin/protected-apps/:id': { name: 'App 2' },
  'POST /api/v1/support/verify': { code: '123456' },
  'POST /api/v1/support/step-up': { code: '123456' },
};

const request = (route: { method: string; url: string }, id: string) => {
  const url = route.url.replace(':slug', 'some-instance').replace(':id', id).replace(':clientId', id);
  const key = `${route.method} ${route.url}`;
  return { method: route.method, url, ...(key in VALID_BODIES ? { payload: VALID_BODIES[key] as object } : {}) };
};

/** The error code, or null for an answer without a body (204). */
const errorCode = (response: LightMyRequestResponse): string | null =>
  response.body ? (response.json<{ error?: { code?: string } }>().error?.code ?? null) : null;

const routesUnder = (app: FastifyInstance, prefix: string) =>
  listRoutes(app).filter((route) => route.url.startsWith(prefix) && route.method !== 'HEAD');

describe('the API contract', () => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ deps, app } = t));

  it('refuses to add an API route without a response schema for its success answer', async () => {
    const bare = Fastify();
    requireResponseSchemas(bare);
    expect(() => bare.get('/none', async () => ({}))).toThrow(/GET \/none declares no response schema/);
    expect(() => bare.get('/errors-only', { schema: { response: { 404: { type: 'object' } } } }, async () => ({}))).toThrow(/errors-only/);
    expect(() => bare.delete('/empty', { schema: { response: { 204: { description: 'No content' } } } }, async () => null)).not.toThrow();
    await bare.close();
  });

  it('has every API route of the app declare its success answer', () => {
    // buildApp registers requireResponseSchemas first, so the app under test exists only if they all do.
    const routes = listRoutes(app).filter((route) => route.url.startsWith('/api/v1/'));
    expect(routes.length).toBeGreaterThan(40);
  });

  it('refuses a member on every admin route with 403 forbidden, changing nothing', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const client = new Client(app);
    expect((await client.login(instance.slug, member.email, PASSWORD)).json()).toEqual({ next: 'done' });
    const routes = routesUnder(app, '/api/v1/admin/');
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      const response = await client.request(request(route, route.url.includes('/mail/') ? '1' : admin.id));
      expect({ route: `${route.method} ${route.url}`, status: response.statusCode, code: errorCode(response) }).toEqual({
        route: `${route.method} ${route.url}`,
        status: 403,
        code: 'forbidden',
      });
    }
    const after = await deps.stores.forInstance(instance.id).users.findById(admin.id);
    expect(after?.role).toBe('admin');
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('refuses a user session on every support route with 401, and ends no user session', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    expect((await client.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
    const routes = routesUnder(app, '/api/v1/support/').filter((route) => route.url !== '/api/v1/support/login');
    expect(routes.length).toBeGreaterThan(7);
    for (const route of routes) {
      const response = await client.request(request(route, admin.id));
      const answer = { route: `${route.method} ${route.url}`, status: response.statusCode, code: errorCode(response) };
      // Logging out of the console with a user's cookie ends nothing (issue 10 item 22).
      if (route.url === '/api/v1/support/logout') expect(answer).toEqual({ ...answer, status: 204, code: null });
      else expect(answer).toEqual({ ...answer, status: 401, code: 'unauthenticated' });
    }
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('answers the fields SPEC §3 fixes on the routes whose response schemas are new or stricter', async () => {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const twoFactor = {
      enabled: expect.any(Boolean),
      associated: expect.any(Boolean),
      status: expect.any(String),
      enforced: expect.any(Boolean),
    };
    const user = {
      id: expect.any(String),
      email: expect.any(String),
      name: expect.any(String),
      role: expect.any(String),
      status: 'active',
      invited: expect.any(Boolean),
      twoFactor,
    };
    expect((await client.get('/api/v1/me')).json()).toMatchObject({
      id: admin.id,
      email: admin.email,
      name: admin.name,
      role: 'admin',
      instance: { slug: instance.slug, name: instance.name, plan: instance.plan },
      twoFactor,
      passwordExpiresAt: null,
    });
    const invited = await client.post('/api/v1/admin/users', { email: 'invited@example.test', name: 'Ivy Invited', role: 'member' });
    expect({ status: invited.statusCode, body: invited.json() }).toEqual({
      status: 201,
      body: { ...user, email: 'invited@example.test', name: 'Ivy Invited', role: 'member' },
    });
    expect((await client.get('/api/v1/admin/users')).json()).toEqual({
      users: [user, user],
      nextCursor: null,
      counts: { active: 0, pending: 0, off: 2 },
      matches: 2,
      matchesCapped: false,
    });
    expect((await client.post('/api/v1/admin/two-factor/requests')).json()).toEqual({ emailed: expect.any(Number) });
    expect((await client.get('/api/v1/admin/two-factor/adoption')).json()).toEqual({ days: expect.any(Array) });
    expect((await client.get('/api/v1/setup')).json()).toEqual({ open: false });
  });
});
