import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import {
  loginOperator,
  logoutOperator,
  operatorStepUp,
  operatorStepUpUntil,
  requireOperator,
  verifyOperator,
} from '../../domain/support/operator-sign-in.ts';
import { findInstances, instanceUsers, supportChangePlan, supportReset } from '../../domain/support/support-console.ts';
import { OPERATOR_PROFILE } from '../../domain/auth/profile.ts';
import { isTokenOf, sessionLifetimeSeconds } from '../../domain/auth/session-rules.ts';
import { MAX_PAGE_SIZE } from '../../domain/admin/list-users.ts';
import { invalidInput } from '../../domain/shared/errors.ts';
import type { ActiveOperatorSession } from '../../domain/support/operator-store.ts';
import { requestClient, secondsUntil, type Cookies } from '../plugins/session.ts';
import { codeBodySchema, loginStepSchema } from './auth.schemas.ts';
import { activitySchema } from './audit.schemas.ts';
import { noContentSchema, slugIdParamsSchema, slugParamsSchema } from './common.schemas.ts';
import {
  instancesQuerySchema,
  instancesSchema,
  operatorSchema,
  planBodySchema,
  planChangeSchema,
  resetBodySchema,
  supportLoginBodySchema,
  usersQuerySchema,
  usersSchema,
} from './support.schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    operator: ActiveOperatorSession | null;
  }
}

/**
 * The support console's API (docs/recovery-and-audit.md). Its own sessions (`op.` tokens in the
 * session cookie): an instance session gets 401 here, and an operator session 401 on instance routes.
 */
export function supportRoutes(deps: Deps, jar: Cookies): RoutePlugin {
  return async (app) => {
    app.decorateRequest('operator', null);

    app.post('/support/login', { schema: { body: supportLoginBodySchema, response: { 200: loginStepSchema } } }, async (request, reply) => {
      const result = await loginOperator(deps, request.body, {
        ...requestClient(request),
        previousToken: jar.read(request),
        deviceTokens: jar.devices(request),
      });
      jar.set(reply, result.token, sessionLifetimeSeconds(OPERATOR_PROFILE, result.step.next));
      return result.step;
    });

    app.post('/support/verify', { schema: { body: codeBodySchema, response: { 200: loginStepSchema } } }, async (request, reply) => {
      const result = await verifyOperator(deps, jar.read(request), request.body.code, {
        ...requestClient(request),
        deviceIds: jar.devices(request).map((d) => d.id),
      });
      jar.set(reply, result.token, sessionLifetimeSeconds(OPERATOR_PROFILE, result.step.next));
      if (result.device) jar.setDevice(reply, result.device);
      return result.step;
    });

    app.post('/support/step-up', { schema: { body: codeBodySchema, response: { 204: noContentSchema } } }, async (request, reply) => {
      const issued = await operatorStepUp(deps, jar.read(request), request.body.code, requestClient(request));
      jar.set(reply, issued.token, secondsUntil(issued.expiresAt, deps.clock.now()));
      return reply.status(204).send();
    });

    app.post('/support/logout', { schema: { response: { 204: noContentSchema } } }, async (request, reply) => {
      const token = jar.read(request);
      await logoutOperator(deps, token);
      // Only an operator's cookie: a user's session is not this route's to end (issue 10 item 22).
      if (isTokenOf(OPERATOR_PROFILE, token)) jar.clear(reply);
      return reply.status(204).send();
    });

    await app.register(operatorConsoleRoutes(deps, jar));
  };
}

/**
 * The console proper: every route needs a full operator session (login and code done), checked
 * once here. Why a guard per context rather than per handler: a route added here cannot forget it.
 */
function operatorConsoleRoutes(deps: Deps, jar: Cookies): RoutePlugin {
  return async (app) => {
    app.addHook('preHandler', async (request) => {
      request.operator = await requireOperator(deps, jar.read(request));
    });

    app.get('/support/me', { schema: { response: { 200: operatorSchema } } }, async (request) => {
      const { operator } = request.operator!;
      return {
        id: operator.id,
        email: operator.email,
        name: operator.name,
        stepUpUntil: operatorStepUpUntil(deps, request.operator!)?.toISOString() ?? null,
      };
    });

    app.get('/support/activity', { schema: { response: { 200: activitySchema } } }, async (request) => ({
      events: await deps.stores.audit.listForOperator(request.operator!.operator.id, 20),
    }));

    app.get(
      '/support/instances',
      { schema: { querystring: instancesQuerySchema, response: { 200: instancesSchema } } },
      async (request) => ({ instances: await findInstances(deps, request.query.q) }),
    );

    app.get(
      '/support/instances/:slug/users',
      { schema: { params: slugParamsSchema, querystring: usersQuerySchema, response: { 200: usersSchema } } },
      async (request) => {
        const { limit, ...rest } = request.query;
        const size = limit === undefined ? undefined : Number(limit);
        if (size !== undefined && (size < 1 || size > MAX_PAGE_SIZE))
          throw invalidInput('limit', `Use a page size from 1 to ${MAX_PAGE_SIZE}.`);
        return instanceUsers(deps, request.params.slug, { ...rest, ...(size !== undefined ? { limit: size } : {}) });
      },
    );

    app.put(
      '/support/instances/:slug/plan',
      { schema: { params: slugParamsSchema, body: planBodySchema, response: { 200: planChangeSchema } } },
      async (request) => supportChangePlan(deps, request.operator!, request.params.slug, request.body?.plan ?? '', requestClient(request)),
    );

    app.post(
      '/support/instances/:slug/users/:id/two-factor/reset',
      { schema: { params: slugIdParamsSchema, body: resetBodySchema, response: { 204: noContentSchema } } },
      async (request, reply) => {
        await supportReset(deps, request.operator!, request.params.slug, request.params.id, request.body ?? {}, requestClient(request));
        return reply.status(204).send();
      },
    );
  };
}
