import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { describeMe } from '../../domain/account/describe-me.ts';
import { setTwoFactor } from '../../domain/totp/set-two-factor.ts';
import { listKnownLocations, revokeAllKnownLocations, revokeKnownLocation } from '../../domain/known-location/manage-known-locations.ts';
import { clientInfo, requestClient, requireFullSession, type Cookies } from '../plugins/session.ts';
import { ownActivity } from '../../domain/audit/read-audit.ts';
import { activitySchema } from './audit.schemas.ts';
import { sendNewBackupCode } from '../../domain/backup-code/new-backup-code.ts';
import { endOtherSessions, endSession, listSessions, MAX_LISTED_SESSIONS } from '../../domain/session/manage-sessions.ts';
import { sessionsSchema, endedSchema } from './sessions.schemas.ts';
import { idParamsSchema, noContentSchema } from './common.schemas.ts';
import { knownLocationsSchema, meSchema, newBackupCodeBodySchema, twoFactorBodySchema, twoFactorSchema } from './me.schemas.ts';

export function meRoutes(deps: Deps, jar: Cookies): RoutePlugin {
  const full = requireFullSession(deps, jar);
  // One more than shown, so the answer can say that more exist.
  const fullWithSessions = requireFullSession(deps, jar, { sessions: MAX_LISTED_SESSIONS + 1 });
  return async (app) => {
    app.get('/me', { schema: { response: { 200: meSchema } }, preHandler: full }, async (request) =>
      describeMe(request.auth!, deps.clock.now()),
    );

    app.put('/me/two-factor', { schema: { body: twoFactorBodySchema, response: { 200: twoFactorSchema } } }, async (request) =>
      setTwoFactor(deps, jar.read(request), request.body, clientInfo(request, jar)),
    );

    app.post(
      '/me/backup-code',
      { schema: { body: newBackupCodeBodySchema, response: { 204: noContentSchema } } },
      async (request, reply) => {
        await sendNewBackupCode(deps, jar.read(request), request.body ?? {}, clientInfo(request, jar));
        return reply.status(204).send();
      },
    );

    app.get('/me/activity', { schema: { response: { 200: activitySchema } }, preHandler: full }, async (request) => ({
      events: await ownActivity(deps, request.auth!),
    }));

    app.get('/me/known-locations', { schema: { response: { 200: knownLocationsSchema } }, preHandler: full }, async (request) => {
      const locations = await listKnownLocations(
        deps,
        request.auth!,
        jar.devices(request).map((d) => d.id),
      );
      return { locations };
    });

    app.delete(
      '/me/known-locations/:id',
      { schema: { params: idParamsSchema, response: { 204: noContentSchema } }, preHandler: full },
      async (request, reply) => {
        await revokeKnownLocation(deps, request.auth!, request.params.id, requestClient(request));
        return reply.status(204).send();
      },
    );

    app.delete('/me/known-locations', { schema: { response: { 204: noContentSchema } }, preHandler: full }, async (request, reply) => {
      await revokeAllKnownLocations(deps, request.auth!, requestClient(request));
      return reply.status(204).send();
    });

    app.get('/me/sessions', { schema: { response: { 200: sessionsSchema } }, preHandler: fullWithSessions }, async (request) =>
      listSessions(deps, request.auth!),
    );

    app.delete(
      '/me/sessions/:id',
      { schema: { params: idParamsSchema, response: { 204: noContentSchema } }, preHandler: full },
      async (request, reply) => {
        const { current } = await endSession(deps, request.auth!, request.params.id, requestClient(request));
        // Ending the session that asked is a logout: its cookie goes too.
        if (current) jar.clear(reply);
        return reply.status(204).send();
      },
    );

    app.delete('/me/sessions', { schema: { response: { 200: endedSchema } }, preHandler: full }, async (request) => ({
      ended: await endOtherSessions(deps, request.auth!, requestClient(request)),
    }));
  };
}
