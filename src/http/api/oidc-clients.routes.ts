/**
 * An instance's OpenID Connect clients (SPEC §6, Settings → Applications). Registered inside the
 * admin context (admin.routes.ts), so its guard (a full session of an administrator) runs first;
 * changes also ask for a fresh code (byAdmin). A secret is in the one answer that creates or
 * rotates it (no-store) and nowhere else: not in the list, not in a log.
 */
import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { requestClient } from '../plugins/session.ts';
import { noContentSchema } from './common.schemas.ts';
import {
  byAdmin,
  createOidcClient,
  deleteOidcClient,
  getOidcClient,
  listOidcClients,
  rotateOidcClientSecret,
  updateOidcClient,
  type ClientWithSecret,
} from '../../domain/oidc/manage-oidc-clients.ts';
import {
  clientIdParamsSchema,
  createOidcClientBodySchema,
  oidcClientListSchema,
  oidcClientSchema,
  oidcClientWithSecretSchema,
  patchOidcClientBodySchema,
} from './oidc-clients.schemas.ts';

const withSecret = ({ client, clientSecret }: ClientWithSecret) => ({ ...client, clientSecret });

export function oidcClientRoutes(deps: Deps): RoutePlugin {
  return async (app) => {
    app.get('/admin/oidc/clients', { schema: { response: { 200: oidcClientListSchema } } }, async (request) => ({
      clients: await listOidcClients(deps, request.auth!.instance.id),
    }));

    app.post(
      '/admin/oidc/clients',
      { schema: { body: createOidcClientBodySchema, response: { 201: oidcClientWithSecretSchema } } },
      async (request, reply) => {
        const created = await createOidcClient(deps, byAdmin(deps, request.auth!, requestClient(request)), request.body);
        return reply.status(201).header('cache-control', 'no-store').send(withSecret(created));
      },
    );

    app.get(
      '/admin/oidc/clients/:clientId',
      { schema: { params: clientIdParamsSchema, response: { 200: oidcClientSchema } } },
      async (request) => getOidcClient(deps, request.auth!.instance.id, request.params.clientId),
    );

    app.patch(
      '/admin/oidc/clients/:clientId',
      { schema: { params: clientIdParamsSchema, body: patchOidcClientBodySchema, response: { 200: oidcClientSchema } } },
      async (request) =>
        updateOidcClient(deps, byAdmin(deps, request.auth!, requestClient(request)), request.params.clientId, request.body),
    );

    app.delete(
      '/admin/oidc/clients/:clientId',
      { schema: { params: clientIdParamsSchema, response: { 204: noContentSchema } } },
      async (request, reply) => {
        await deleteOidcClient(deps, byAdmin(deps, request.auth!, requestClient(request)), request.params.clientId);
        return reply.status(204).send();
      },
    );

    app.post(
      '/admin/oidc/clients/:clientId/secret',
      { schema: { params: clientIdParamsSchema, response: { 200: oidcClientWithSecretSchema } } },
      async (request, reply) => {
        const rotated = await rotateOidcClientSecret(deps, byAdmin(deps, request.auth!, requestClient(request)), request.params.clientId);
        return reply.header('cache-control', 'no-store').send(withSecret(rotated));
      },
    );
  };
}
