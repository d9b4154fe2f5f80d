/**
 * An instance's protected applications (SPEC §7, Settings → Applications). Registered inside the
 * admin context (admin.routes.ts), so its guard (a full session of an administrator) runs first;
 * changes also ask for a fresh code (byAdmin), as the client API does.
 */
import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { requestClient } from '../plugins/session.ts';
import { idParamsSchema, noContentSchema } from './common.schemas.ts';
import { byAdmin } from '../../domain/oidc/manage-oidc-clients.ts';
import {
  createProtectedApp,
  deleteProtectedApp,
  listProtectedApps,
  updateProtectedApp,
} from '../../domain/forward-auth/manage-protected-apps.ts';
import {
  createProtectedAppBodySchema,
  patchProtectedAppBodySchema,
  protectedAppListSchema,
  protectedAppSchema,
} from './protected-apps.schemas.ts';

export function protectedAppRoutes(deps: Deps): RoutePlugin {
  return async (app) => {
    app.get('/admin/protected-apps', { schema: { response: { 200: protectedAppListSchema } } }, async (request) => ({
      apps: await listProtectedApps(deps, request.auth!.instance.id),
    }));

    app.post(
      '/admin/protected-apps',
      { schema: { body: createProtectedAppBodySchema, response: { 201: protectedAppSchema } } },
      async (request, reply) => {
        const created = await createProtectedApp(deps, byAdmin(deps, request.auth!, requestClient(request)), request.body);
        return reply.status(201).send(created);
      },
    );

    app.patch(
      '/admin/protected-apps/:id',
      { schema: { params: idParamsSchema, body: patchProtectedAppBodySchema, response: { 200: protectedAppSchema } } },
      async (request) => updateProtectedApp(deps, byAdmin(deps, request.auth!, requestClient(request)), request.params.id, request.body),
    );

    app.delete(
      '/admin/protected-apps/:id',
      { schema: { params: idParamsSchema, response: { 204: noContentSchema } } },
      async (request, reply) => {
        await deleteProtectedApp(deps, byAdmin(deps, request.auth!, requestClient(request)), request.params.id);
        return reply.status(204).send();
      },
    );
  };
}
