import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { completeFirstRun, isFirstRunOpen } from '../../domain/setup/first-run.ts';
import { MAX_PASSWORD_LENGTH } from '../../domain/account/password-rules.ts';
import { clientInfo, type Cookies } from '../plugins/session.ts';
import { sessionLifetimeSeconds } from '../../domain/session/start-session.ts';
import { loginStepSchema } from './auth.schemas.ts';

const setupBodySchema = {
  type: 'object',
  required: ['token', 'instance', 'admin'],
  additionalProperties: false,
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 200 },
    instance: {
      type: 'object',
      required: ['slug', 'name', 'plan'],
      additionalProperties: false,
      properties: {
        slug: { type: 'string', maxLength: 63 },
        name: { type: 'string', maxLength: 200 },
        plan: { type: 'string', maxLength: 20 },
      },
    },
    admin: {
      type: 'object',
      required: ['email', 'name', 'password'],
      additionalProperties: false,
      properties: {
        email: { type: 'string', maxLength: 254 },
        name: { type: 'string', maxLength: 200 },
        password: { type: 'string', maxLength: MAX_PASSWORD_LENGTH * 4 },
      },
    },
  },
} as const;

const setupStatusSchema = { type: 'object', additionalProperties: false, required: ['open'], properties: { open: { type: 'boolean' } } } as const;

/** First-run setup: open only while no instance exists, and only with the printed link. */
export function setupRoutes(deps: Deps, jar: Cookies): RoutePlugin {
  return async (app) => {
    app.get('/setup', { schema: { response: { 200: setupStatusSchema } } }, async () => ({ open: await isFirstRunOpen(deps) }));

    app.post(
      '/setup',
      { schema: { body: setupBodySchema, response: { 200: loginStepSchema } } },
      async (request, reply) => {
        const { token, instance, admin } = request.body;
        const input = { ...instance, admin };
        const { step, sessionToken } = await completeFirstRun(deps, token, input, clientInfo(request, jar));
        jar.set(reply, sessionToken, sessionLifetimeSeconds(step.next));
        return step;
      },
    );
  };
}
