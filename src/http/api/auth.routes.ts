import type { FastifyReply } from 'fastify';
import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { loginWithPassword } from '../../domain/login/login-with-password.ts';
import { verifySecondFactor } from '../../domain/login/verify-second-factor.ts';
import { postponeSetup } from '../../domain/login/postpone-setup.ts';
import { startTotpSetup } from '../../domain/totp/start-totp-setup.ts';
import { confirmTotpSetup } from '../../domain/totp/confirm-totp-setup.ts';
import { stepUp } from '../../domain/totp/step-up.ts';
import { logout } from '../../domain/session/authenticate.ts';
import type { IssuedDevice } from '../../domain/known-location/issue-known-location.ts';
import type { LoginStep } from '../../domain/login/login-step.ts';
import { clientInfo, requestClient, secondsUntil, type Cookies } from '../plugins/session.ts';
import { OPERATOR_PROFILE } from '../../domain/auth/profile.ts';
import { isTokenOf, sessionLifetimeSeconds as lifetimeOf } from '../../domain/auth/session-rules.ts';
import { sessionLifetimeSeconds } from '../../domain/session/start-session.ts';
import { confirmOperatorSetup, logoutOperator, startOperatorSetup } from '../../domain/support/operator-sign-in.ts';
import { qrSvg } from '../qr.ts';
import { changePassword } from '../../domain/account/change-password.ts';
import {
  changePasswordBodySchema,
  forgotBodySchema,
  linkBodySchema,
  linkInfoBodySchema,
  linkInfoSchema,
  linkStatusSchema,
} from './policy.schemas.ts';
import {
  describePasswordLink,
  inspectPasswordLink,
  requestPasswordReset,
  setPasswordWithLink,
} from '../../domain/account/password-links.ts';
import { codeBodySchema, loginBodySchema, loginStepSchema, secondFactorBodySchema, setupBodySchema, setupSchema } from './auth.schemas.ts';
import { noContentSchema } from './common.schemas.ts';

/** The login steps (SPEC §3). Each answers `{next}` and sets a new session cookie. */
export function authRoutes(deps: Deps, jar: Cookies): RoutePlugin {
  const answer = (reply: FastifyReply, result: { step: LoginStep; sessionToken: string; device?: IssuedDevice | null }) => {
    jar.set(reply, result.sessionToken, sessionLifetimeSeconds(result.step.next));
    if (result.device) jar.setDevice(reply, result.device);
    return result.step;
  };
  const stepSchema = { response: { 200: loginStepSchema } };
  const noContent = { response: { 204: noContentSchema } };

  return async (app) => {
    app.post('/auth/login', { schema: { body: loginBodySchema, ...stepSchema } }, async (request, reply) =>
      answer(reply, await loginWithPassword(deps, request.body, clientInfo(request, jar))),
    );

    app.post('/auth/verify', { schema: { body: secondFactorBodySchema, ...stepSchema } }, async (request, reply) =>
      answer(reply, await verifySecondFactor(deps, jar.read(request), request.body, clientInfo(request, jar))),
    );

    // An operator's first-login setup goes through these two routes too (SPEC §3); their session
    // token says which kind of account it is.
    app.post('/auth/setup', { schema: { body: setupBodySchema, response: { 200: setupSchema } } }, async (request) => {
      const token = jar.read(request);
      const setup = isTokenOf(OPERATOR_PROFILE, token)
        ? await startOperatorSetup(deps, token)
        : await startTotpSetup(deps, token, request.body ?? {}, requestClient(request));
      return { ...setup, qrSvg: await qrSvg(setup.otpauthUri) };
    });

    app.post('/auth/setup/confirm', { schema: { body: codeBodySchema, ...stepSchema } }, async (request, reply) => {
      const token = jar.read(request);
      if (isTokenOf(OPERATOR_PROFILE, token)) {
        const result = await confirmOperatorSetup(deps, token, request.body.code, requestClient(request));
        jar.set(reply, result.token, lifetimeOf(OPERATOR_PROFILE, result.step.next));
        jar.setDevice(reply, result.device);
        return result.step;
      }
      return answer(reply, await confirmTotpSetup(deps, token, request.body.code, clientInfo(request, jar)));
    });

    app.post('/auth/postpone', { schema: stepSchema }, async (request, reply) =>
      answer(reply, await postponeSetup(deps, jar.read(request), clientInfo(request, jar))),
    );

    app.post('/auth/step-up', { schema: { body: secondFactorBodySchema, ...noContent } }, async (request, reply) => {
      const issued = await stepUp(deps, jar.read(request), request.body, clientInfo(request, jar));
      jar.set(reply, issued.token, secondsUntil(issued.expiresAt, deps.clock.now()));
      return reply.status(204).send();
    });

    app.post('/auth/password', { schema: { body: changePasswordBodySchema, ...stepSchema } }, async (request, reply) =>
      answer(reply, await changePassword(deps, jar.read(request), request.body, clientInfo(request, jar))),
    );

    app.post('/auth/forgot', { schema: { body: forgotBodySchema, ...noContent } }, async (request, reply) => {
      // Why the same 204 after the same one insert: whether the account exists is not the
      // client's business, by answer or by timing (RL-06, RL-07); a worker does the rest later.
      await requestPasswordReset(deps, request.body);
      return reply.status(204).send();
    });

    app.post('/auth/reset', { schema: { body: linkBodySchema, ...noContent } }, async (request, reply) => {
      await setPasswordWithLink(deps, 'reset', request.body, clientInfo(request, jar));
      return reply.status(204).send();
    });

    app.post('/auth/invitation', { schema: { body: linkBodySchema, ...noContent } }, async (request, reply) => {
      await setPasswordWithLink(deps, 'invitation', request.body, clientInfo(request, jar));
      return reply.status(204).send();
    });

    // What the link page needs before the password is chosen: the account's effective minimum length.
    app.post('/auth/password-link', { schema: { body: linkInfoBodySchema, response: { 200: linkInfoSchema } } }, async (request) =>
      describePasswordLink(deps, request.body.purpose, request.body.token, requestClient(request).ip),
    );

    // Issue 13: what the link page says as it opens (whose account, which instance, used or expired).
    app.post('/auth/link-status', { schema: { body: linkInfoBodySchema, response: { 200: linkStatusSchema } } }, async (request) =>
      inspectPasswordLink(deps, request.body.purpose, request.body.token, requestClient(request).ip),
    );

    app.post('/auth/logout', { schema: noContent }, async (request, reply) => {
      const token = jar.read(request);
      await (isTokenOf(OPERATOR_PROFILE, token) ? logoutOperator(deps, token) : logout(deps, token, requestClient(request)));
      // Only the session cookie: Clear-Site-Data would also drop this browser's trusted-device
      // cookies (and every cookie of the registrable domain, other apps included).
      jar.clear(reply);
      return reply.status(204).send();
    });
  };
}
