import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import { describeMe } from '../../domain/account/describe-me.ts';
import { requireFullSession, type SessionCookie } from '../plugins/session.ts';
import { meSchema } from './me.schemas.ts';

export function meRoutes(deps: Deps, cookie: SessionCookie) {
  return async (app: FastifyInstance) => {
    app.get('/me', { schema: { response: { 200: meSchema } }, preHandler: requireFullSession(deps, cookie) }, async (request) =>
      describeMe(request.auth!),
    );
  };
}
