import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { requireAdminRole } from '../../domain/instance/require-admin.ts';
import { updateKnownLocationSettings } from '../../domain/instance/update-known-location-settings.ts';
import { listMail, retryMail } from '../../domain/mail/manage-mail.ts';
import { listUsers, MAX_PAGE_SIZE } from '../../domain/admin/list-users.ts';
import { inviteUser, updateUser } from '../../domain/admin/manage-users.ts';
import { deleteUser } from '../../domain/admin/delete-user.ts';
import { resendInvitation } from '../../domain/admin/resend-invitation.ts';
import { askUsersToEnable } from '../../domain/admin/ask-to-enable.ts';
import { twoFactorAdoption } from '../../domain/admin/adoption.ts';
import { invalidInput } from '../../domain/shared/errors.ts';
import { updatePasswordPolicy } from '../../domain/policy/update-policy.ts';
import type { PolicyPatch } from '../../domain/policy/policy.ts';
import { policyPatchSchema, policySchema } from './policy.schemas.ts';
import { requestClient, requireFullSession, type Cookies } from '../plugins/session.ts';
import { adminCaller, authenticateBearer } from '../plugins/bearer.ts';
import { Readable } from 'node:stream';
import { resetByAdmin } from '../../domain/recovery/reset-two-factor.ts';
import { endUserSessions } from '../../domain/session/manage-sessions.ts';
import { startPasswordRecovery } from '../../domain/recovery/password-recovery.ts';
import { endedSchema } from './sessions.schemas.ts';
import { oidcClientRoutes } from './oidc-clients.routes.ts';
import { protectedAppRoutes } from './protected-apps.routes.ts';
import { idParamsSchema, noContentSchema } from './common.schemas.ts';
import { adoptionSchema, emailedSchema, listedUserSchema, userPageSchema } from './users.schemas.ts';
import { allAuditEvents, csvHeader, csvLine, listAuditEvents } from '../../domain/audit/read-audit.ts';
import { auditExportQuerySchema, auditPageSchema, auditQuerySchema, resetBodySchema } from './audit.schemas.ts';
import {
  csvSchema,
  emptyBodySchema,
  inviteBodySchema,
  mailIdParamsSchema,
  mailListSchema,
  mailQuerySchema,
  recoveryCodeSchema,
  settingsBodySchema,
  settingsSchema,
  updateUserBodySchema,
  usersQuerySchema,
} from './admin.schemas.ts';

/**
 * The admin context: every route here needs a full session of an administrator of the instance,
 * checked once by this context's hooks (a member gets 403 `forbidden` before any handler runs).
 * Why here and not per handler: a route added to this context cannot forget the role (OWASP ASVS
 * 8.1: deny by default). Changes also need a fresh second factor (requireAdmin in the use-cases,
 * SPEC rule 12).
 */
export function adminRoutes(deps: Deps, jar: Cookies): RoutePlugin {
  return async (app) => {
    // Every route of this context (and of the contexts registered in it) takes a Bearer token as
    // its credential when one is sent; which ones a token may open is each route's bearerScope.
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, adminApi: true };
    });
    const session = requireFullSession(deps, jar);
    app.addHook('preHandler', async (request, reply) => {
      const machine = await authenticateBearer(deps, request, reply);
      if (machine !== undefined) return;
      await session(request, reply);
      requireAdminRole(request.auth!);
    });
    // Settings → Applications: inside this context, so under its guard.
    await app.register(oidcClientRoutes(deps));
    await app.register(protectedAppRoutes(deps));

    app.get('/admin/instance-settings', { schema: { response: { 200: settingsSchema } } }, async (request) => ({
      knownLocations: request.auth!.instance.knownLocations,
    }));

    app.get('/admin/mail', { schema: { querystring: mailQuerySchema, response: { 200: mailListSchema } } }, async (request) => ({
      messages: await listMail(deps, request.auth!, request.query.status ?? null),
    }));

    app.post(
      '/admin/mail/:id/retry',
      { schema: { params: mailIdParamsSchema, response: { 204: noContentSchema } } },
      async (request, reply) => {
        await retryMail(deps, request.auth!, Number(request.params.id));
        return reply.status(204).send();
      },
    );

    const read = { bearerScope: 'keyward:users:read' } as const;
    const write = { bearerScope: 'keyward:users:write' } as const;
    const audit = { bearerScope: 'keyward:audit:read' } as const;

    app.get(
      '/admin/users',
      { config: read, schema: { querystring: usersQuerySchema, response: { 200: userPageSchema } } },
      async (request) => {
        const { limit, ...rest } = request.query;
        const size = limit === undefined ? undefined : Number(limit);
        if (size !== undefined && (size < 1 || size > MAX_PAGE_SIZE))
          throw invalidInput('limit', `Use a page size from 1 to ${MAX_PAGE_SIZE}.`);
        return listUsers(deps, adminCaller(request), { ...rest, ...(size !== undefined ? { limit: size } : {}) });
      },
    );

    app.post(
      '/admin/users',
      { config: write, schema: { body: inviteBodySchema, response: { 201: listedUserSchema } } },
      async (request, reply) => reply.status(201).send(await inviteUser(deps, adminCaller(request), request.body, requestClient(request))),
    );

    app.patch(
      '/admin/users/:id',
      { config: write, schema: { params: idParamsSchema, body: updateUserBodySchema, response: { 200: listedUserSchema } } },
      async (request) => updateUser(deps, adminCaller(request), request.params.id, request.body, requestClient(request)),
    );

    app.delete(
      '/admin/users/:id',
      { config: write, schema: { params: idParamsSchema, response: { 204: noContentSchema } } },
      async (request, reply) => {
        await deleteUser(deps, adminCaller(request), request.params.id, requestClient(request));
        return reply.status(204).send();
      },
    );

    app.post(
      '/admin/users/:id/invitation',
      { config: write, schema: { params: idParamsSchema, body: emptyBodySchema, response: { 204: noContentSchema } } },
      async (request, reply) => {
        await resendInvitation(deps, adminCaller(request), request.params.id, requestClient(request));
        return reply.status(204).send();
      },
    );

    app.post(
      '/admin/users/:id/two-factor/reset',
      { schema: { params: idParamsSchema, body: resetBodySchema, response: { 204: noContentSchema } } },
      async (request, reply) => {
        await resetByAdmin(deps, request.auth!, request.params.id, requestClient(request), request.body?.reason?.trim() || null);
        return reply.status(204).send();
      },
    );

    // Issue 10 item 3: the code is in this answer only (no-store), never in a mail or a log.
    app.post(
      '/admin/users/:id/password-recovery',
      { schema: { params: idParamsSchema, body: emptyBodySchema, response: { 201: recoveryCodeSchema } } },
      async (request, reply) => {
        const { code, expiresAt } = await startPasswordRecovery(deps, request.auth!, request.params.id, requestClient(request));
        return reply.status(201).header('cache-control', 'no-store').send({ code, expiresAt: expiresAt.toISOString() });
      },
    );

    app.delete(
      '/admin/users/:id/sessions',
      { config: write, schema: { params: idParamsSchema, response: { 200: endedSchema } } },
      async (request) => ({ ended: await endUserSessions(deps, adminCaller(request), request.params.id, requestClient(request)) }),
    );

    app.get(
      '/admin/audit',
      { config: audit, schema: { querystring: auditQuerySchema, response: { 200: auditPageSchema } } },
      async (request) => {
        const { limit, ...rest } = request.query;
        return listAuditEvents(deps, adminCaller(request), { ...rest, ...(limit !== undefined ? { limit: Number(limit) } : {}) });
      },
    );

    app.get(
      '/admin/audit/export',
      { config: audit, schema: { querystring: auditExportQuerySchema, response: { 200: csvSchema } } },
      async (request, reply) => {
        const caller = adminCaller(request);
        const events = allAuditEvents(deps, caller, request.query)[Symbol.asyncIterator]();
        // The first page is read before the headers go out, so a refused filter is a clean 4xx.
        const first = await events.next();
        async function* lines() {
          yield csvHeader();
          if (first.done) return;
          yield csvLine(first.value);
          for (let next = await events.next(); !next.done; next = await events.next()) yield csvLine(next.value);
        }
        const day = deps.clock.now().toISOString().slice(0, 10);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="keyward-audit-${caller.instance.slug}-${day}.csv"`)
          .header('cache-control', 'no-store')
          .send(Readable.from(lines()));
      },
    );

    app.post('/admin/two-factor/requests', { schema: { response: { 200: emailedSchema } } }, async (request) =>
      askUsersToEnable(deps, request.auth!, requestClient(request)),
    );

    app.get('/admin/two-factor/adoption', { schema: { response: { 200: adoptionSchema } } }, async (request) =>
      twoFactorAdoption(deps, request.auth!),
    );

    app.get('/admin/password-policy', { schema: { response: { 200: policySchema } } }, async (request) => request.auth!.instance.policy);

    app.put('/admin/password-policy', { schema: { body: policyPatchSchema, response: { 200: policySchema } } }, async (request) => {
      const { twoFactor, password } = request.body;
      const patch = {
        ...(twoFactor
          ? {
              twoFactor: {
                ...twoFactor,
                ...(twoFactor.enforceFrom !== undefined
                  ? { enforceFrom: twoFactor.enforceFrom === null ? null : new Date(twoFactor.enforceFrom) }
                  : {}),
              },
            }
          : {}),
        ...(password ? { password } : {}),
      } as PolicyPatch;
      return updatePasswordPolicy(deps, request.auth!, patch, requestClient(request));
    });

    app.put('/admin/instance-settings', { schema: { body: settingsBodySchema, response: { 200: settingsSchema } } }, async (request) => ({
      knownLocations: await updateKnownLocationSettings(deps, request.auth!, request.body.knownLocations, requestClient(request)),
    }));
  };
}
