import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import { loginOperator, logoutOperator, operatorStepUp, operatorStepUpUntil, requireOperator, verifyOperator } from '../../domain/support/operator-sign-in.ts';
import { findInstances, instanceUsers, supportReset } from '../../domain/support/support-console.ts';
import { OPERATOR_PROFILE } from '../../domain/auth/profile.ts';
import { isTokenOf, sessionLifetimeSeconds } from '../../domain/auth/session-rules.ts';
import { MAX_PAGE_SIZE } from '../../domain/admin/list-users.ts';
import { invalidInput } from '../../domain/shared/errors.ts';
import type { ActiveOperatorSession } from '../../domain/support/operator-store.ts';
import { requestClient, secondsUntil, type Cookies } from '../plugins/session.ts';
import { codeBodySchema, loginStepSchema, type CodeBody } from './auth.schemas.ts';
import { activitySchema } from './audit.schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    operator: ActiveOperatorSession | null;
  }
}

const supportLoginBodySchema = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

const meSchema = {
  type: 'object',
  required: ['id', 'email', 'name', 'stepUpUntil'],
  properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, stepUpUntil: { type: ['string', 'null'], format: 'date-time' } },
} as const;

const instanceSummarySchema = {
  type: 'object',
  required: ['slug', 'name', 'plan'],
  properties: { slug: { type: 'string' }, name: { type: 'string' }, plan: { type: 'string' } },
} as const;

const instancesQuerySchema = { type: 'object', additionalProperties: false, properties: { q: { type: 'string', maxLength: 100 } } } as const;

const usersQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 254 },
    limit: { type: 'string', pattern: '^[0-9]{1,3}$' },
    cursor: { type: 'string', maxLength: 2000 },
  },
} as const;

const usersSchema = {
  type: 'object',
  required: ['instance', 'users', 'nextCursor', 'counts'],
  properties: {
    instance: instanceSummarySchema,
    users: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'email', 'name', 'role', 'status', 'twoFactor'],
        properties: {
          id: { type: 'string' },
          email: { type: 'string' },
          name: { type: 'string' },
          role: { type: 'string' },
          status: { type: 'string' },
          twoFactor: {
            type: 'object',
            properties: { enabled: { type: 'boolean' }, associated: { type: 'boolean' }, status: { type: 'string' }, enforced: { type: 'boolean' } },
          },
        },
      },
    },
    nextCursor: { type: ['string', 'null'] },
    counts: { type: 'object', properties: { active: { type: 'integer' }, pending: { type: 'integer' }, off: { type: 'integer' } } },
  },
} as const;

/** The body's shape is checked by the use-case, so each missing part gets its own field name. */
const resetBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    verification: {
      type: 'object',
      additionalProperties: false,
      properties: { method: { type: 'string' }, reference: { type: 'string' }, notes: { type: ['string', 'null'] } },
    },
  },
} as const;

/**
 * The support console's API (docs/recovery-and-audit.md). Its own sessions (`op.` tokens in the
 * session cookie): an instance session gets 401 here, and an operator session 401 on instance routes.
 */
export function supportRoutes(deps: Deps, jar: Cookies) {
  return async (app: FastifyInstance) => {
    app.decorateRequest('operator', null);
    const operatorOnly = async (request: FastifyRequest) => {
      request.operator = await requireOperator(deps, jar.read(request));
    };

    app.post<{ Body: { email: string; password: string } }>(
      '/support/login',
      { schema: { body: supportLoginBodySchema, response: { 200: loginStepSchema } } },
      async (request, reply) => {
        const result = await loginOperator(deps, request.body, { ...requestClient(request), previousToken: jar.read(request), deviceTokens: jar.devices(request) });
        jar.set(reply, result.token, sessionLifetimeSeconds(OPERATOR_PROFILE, result.step.next));
        return result.step;
      },
    );

    app.post<{ Body: CodeBody }>('/support/verify', { schema: { body: codeBodySchema, response: { 200: loginStepSchema } } }, async (request, reply) => {
      const result = await verifyOperator(deps, jar.read(request), request.body.code, { ...requestClient(request), deviceIds: jar.devices(request).map((d) => d.id) });
      jar.set(reply, result.token, sessionLifetimeSeconds(OPERATOR_PROFILE, result.step.next));
      if (result.device) jar.setDevice(reply, result.device);
      return result.step;
    });

    app.post<{ Body: CodeBody }>('/support/step-up', { schema: { body: codeBodySchema } }, async (request, reply) => {
      const issued = await operatorStepUp(deps, jar.read(request), request.body.code, requestClient(request));
      jar.set(reply, issued.token, secondsUntil(issued.expiresAt, deps.clock.now()));
      return reply.status(204).send();
    });

    app.post('/support/logout', async (request, reply) => {
      const token = jar.read(request);
      await logoutOperator(deps, token);
      // Only an operator's cookie: a user's session is not this route's to end (issue 10 item 22).
      if (isTokenOf(OPERATOR_PROFILE, token)) jar.clear(reply);
      return reply.status(204).send();
    });

    app.get('/support/me', { preHandler: operatorOnly, schema: { response: { 200: meSchema } } }, async (request) => {
      const { operator } = request.operator!;
      return { id: operator.id, email: operator.email, name: operator.name, stepUpUntil: operatorStepUpUntil(deps, request.operator!)?.toISOString() ?? null };
    });

    app.get('/support/activity', { preHandler: operatorOnly, schema: { response: { 200: activitySchema } } }, async (request) => ({
      events: await deps.stores.audit.listForOperator(request.operator!.operator.id, 20),
    }));

    app.get<{ Querystring: { q?: string } }>(
      '/support/instances',
      { preHandler: operatorOnly, schema: { querystring: instancesQuerySchema } },
      async (request) => ({ instances: await findInstances(deps, request.query.q) }),
    );

    app.get<{ Params: { slug: string }; Querystring: { q?: string; limit?: string; cursor?: string } }>(
      '/support/instances/:slug/users',
      { preHandler: operatorOnly, schema: { querystring: usersQuerySchema, response: { 200: usersSchema } } },
      async (request) => {
        const { limit, ...rest } = request.query;
        const size = limit === undefined ? undefined : Number(limit);
        if (size !== undefined && (size < 1 || size > MAX_PAGE_SIZE)) throw invalidInput('limit', `Use a page size from 1 to ${MAX_PAGE_SIZE}.`);
        return instanceUsers(deps, request.params.slug, { ...rest, ...(size !== undefined ? { limit: size } : {}) });
      },
    );

    app.post<{ Params: { slug: string; id: string }; Body: { verification?: unknown } | null }>(
      '/support/instances/:slug/users/:id/two-factor/reset',
      { preHandler: operatorOnly, schema: { body: resetBodySchema } },
      async (request, reply) => {
        await supportReset(deps, request.operator!, request.params.slug, request.params.id, request.body ?? {}, requestClient(request));
        return reply.status(204).send();
      },
    );
  };
}
