import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { completeFirstRun, isFirstRunOpen } from '../../domain/setup/first-run.ts';
import { clientInfo, type Cookies } from '../plugins/session.ts';
import { sessionLifetimeSeconds } from '../../domain/session/start-session.ts';
import { loginStepSchema } from './auth.schemas.ts';
import { setupBodySchema, setupStatusSchema } from './setup.schemas.ts';

/** First-run setup: open only while no instance exists, and only with the printed link. */
export function setupRoutes(deps: Deps, jar: Cookies): RoutePlugin {
  return async (app) => {
    app.get('/setup', { schema: { response: { 200: setupStatusSchema } } }, async () => ({ open: await isFirstRunOpen(deps) }));

    app.post('/setup', { schema: { body: setupBodySchema, response: { 200: loginStepSchema } } }, async (request, reply) => {
      const { token, instance, admin } = request.body;
      const input = { ...instance, admin };
      const { step, sessionToken } = await completeFirstRun(deps, token, input, clientInfo(request, jar));
      jar.set(reply, sessionToken, sessionLifetimeSeconds(step.next));
      return step;
    });
  };
}
