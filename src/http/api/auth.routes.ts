import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import { loginWithPassword } from '../../domain/login/login-with-password.ts';
import { logout } from '../../domain/session/authenticate.ts';
import { clientInfo, type SessionCookie } from '../plugins/session.ts';
import { loginBodySchema, loginStepSchema, type LoginBody } from './auth.schemas.ts';

export function authRoutes(deps: Deps, cookie: SessionCookie) {
  return async (app: FastifyInstance) => {
    app.post<{ Body: LoginBody }>(
      '/auth/login',
      { schema: { body: loginBodySchema, response: { 200: loginStepSchema } } },
      async (request, reply) => {
        const { step, sessionToken } = await loginWithPassword(deps, request.body, clientInfo(request, cookie.read(request)));
        cookie.set(reply, sessionToken);
        return step;
      },
    );

    app.post('/auth/logout', async (request, reply) => {
      await logout(deps, cookie.read(request));
      cookie.clear(reply);
      reply.header('clear-site-data', '"cookies"');
      return reply.status(204).send();
    });
  };
}
