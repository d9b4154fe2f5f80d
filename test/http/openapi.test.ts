import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { useTestApp } from '../support/app.ts';
import { listRoutes } from '../support/routes.ts';

type Operation = { security?: Array<Record<string, string[]>>; responses?: Record<string, unknown> };
type Document = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
};

/** `/api/v1/admin/users/:id` as OpenAPI writes it: `/api/v1/admin/users/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** GET /api/v1/openapi.json (SPEC §6): generated from the route schemas, so it lists what exists. */
describe.each(engines())('the OpenAPI document of /api/v1 on %s', (engine) => {
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ app } = t));

  async function document(): Promise<Document> {
    const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    return response.json<Document>();
  }

  it('is OpenAPI 3.1 with paths, components and the cookie and bearer security schemes', async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'keyward API', version: '1' });
    expect(typeof doc.paths).toBe('object');
    expect(doc.components.securitySchemes.sessionCookie).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'keyward_session' }),
    );
    expect(doc.components.securitySchemes.machineToken).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    for (const [path, operations] of Object.entries(doc.paths)) {
      expect(path.startsWith('/api/v1/')).toBe(true);
      for (const operation of Object.values(operations)) expect(Object.keys(operation.responses ?? {}).length).toBeGreaterThan(0);
    }
  });

  it('lists every /api/v1 route with its methods, and nothing outside /api/v1', async () => {
    const doc = await document();
    const registered = listRoutes(app).filter((route) => route.url.startsWith('/api/v1/') && route.method !== 'HEAD');
    expect(registered.length).toBeGreaterThan(30);
    for (const route of registered) {
      const path = doc.paths[openApiPath(route.url)];
      expect(path, `${route.method} ${route.url}`).toBeDefined();
      expect(Object.keys(path!), `${route.method} ${route.url}`).toContain(route.method.toLowerCase());
    }
    const described = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(registered.map((route) => `${route.method} ${openApiPath(route.url)}`).sort());
  });

  it('says which admin routes take a machine token and its scope, and that the rest take the session only', async () => {
    const { paths } = await document();
    expect(paths['/api/v1/admin/users']!.get!.security).toEqual([{ sessionCookie: [] }, { machineToken: ['keyward:users:read'] }]);
    expect(paths['/api/v1/admin/users']!.post!.security).toEqual([{ sessionCookie: [] }, { machineToken: ['keyward:users:write'] }]);
    expect(paths['/api/v1/admin/audit']!.get!.security).toEqual([{ sessionCookie: [] }, { machineToken: ['keyward:audit:read'] }]);
    expect(paths['/api/v1/admin/password-policy']!.put!.security).toEqual([{ sessionCookie: [] }]);
    expect(paths['/api/v1/admin/oidc/clients']!.post!.security).toEqual([{ sessionCookie: [] }]);
  });
});
