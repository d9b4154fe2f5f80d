/** buildApp(deps): the whole HTTP service, without listening; tests drive it with inject(). */
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Deps } from '../domain/shared/deps.ts';
import { registerErrorHandler } from './error-handler.ts';
import { registerCsrfGuard } from './plugins/csrf.ts';
import { registerTextGuard } from './plugins/text-guard.ts';
import { registerJsonBodyParser } from './plugins/json-body.ts';
import { registerSecurityHeaders } from './plugins/headers.ts';
import { cookies, registerSessions } from './plugins/session.ts';
import { requireResponseSchemas } from './plugins/response-schemas.ts';
import { authRoutes } from './api/auth.routes.ts';
import { meRoutes } from './api/me.routes.ts';
import { setupRoutes } from './api/setup.routes.ts';
import { contactRoutes } from './api/contact.routes.ts';
import { devRoutes, loopbackHostOnly } from './api/dev.routes.ts';
import { adminRoutes } from './api/admin.routes.ts';
import { supportRoutes } from './api/support.routes.ts';
import { requestLogSerializers, LOG_REDACT_PATHS } from './log.ts';
import { trustProxyOption } from './client-address.ts';
import { createOidcRegistry, type OidcRegistryOptions } from './oidc/provider-registry.ts';
import { createBackchannelWorker, type BackchannelWorker } from './oidc/backchannel-worker.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The worker delivering back-channel logout tokens (not started by buildApp). */
    oidcBackchannel: BackchannelWorker;
  }
}
import { oidcRoutes } from './oidc/oidc.routes.ts';
import { interactionRoutes } from './oidc/interaction.routes.ts';
import { escapeHtml } from '../domain/mail/mail.ts';
import { openApiRoute, registerOpenApi } from './plugins/openapi.ts';
import { authzRoutes } from './forward-auth/authz.routes.ts';
import { signInRoutes } from './forward-auth/sign-in.routes.ts';
import { peerIsTrustedProxy } from './forward-auth/proxy.ts';
import { remoteJwtSigner } from './forward-auth/identity-headers.ts';
import { registerOperationRoutes, type Operations } from './plugins/operations.ts';

const healthSchema = { type: 'object', additionalProperties: false, required: ['ok'], properties: { ok: { type: 'boolean' } } } as const;

export interface AppOptions {
  publicUrl: URL;
  /** A hop count or the proxies' addresses; `true` is refused by config.ts (issue 10 item 7). */
  trustProxy: false | number | string[];
  /** pino options or false; tests pass a stream to read the request log. */
  logger: FastifyServerOptions['logger'];
  devMailbox: boolean;
  /** The built web UI (web/dist); null serves the API only. */
  webDir: string | null;
  /** Tests only: the provider registry's bound. */
  oidc?: Pick<OidcRegistryOptions, 'maxProviders'>;
  /** `/readyz` and `/metrics` (SPEC §8); without it only `/livez` is served. */
  operations?: Operations;
  /** True when KEYWARD_MANAGEMENT_PORT serves `/metrics`: then the public listener does not. */
  managementPort?: boolean;
}

export async function buildApp(deps: Deps, options: AppOptions): Promise<FastifyInstance> {
  const logger =
    options.logger && typeof options.logger === 'object'
      ? { ...options.logger, redact: LOG_REDACT_PATHS, serializers: requestLogSerializers }
      : options.logger;
  const app = Fastify({
    logger,
    trustProxy: trustProxyOption(options.trustProxy),
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  // Why: JSON only. text/plain and form posts are "simple" cross-site requests (CSRF-02).
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);
  const webPage = options.webDir ? readWebPage(options.webDir) : null;
  registerErrorHandler(app, { notFoundPage: webPage });
  await registerSecurityHeaders(app, options.publicUrl);
  registerCsrfGuard(app, options.publicUrl);
  await registerSessions(app);
  registerTextGuard(app);
  options.operations?.metrics?.register(app);
  registerOperationRoutes(app, options.operations ?? null, !options.managementPort);

  const jar = cookies(options.publicUrl);
  // Before the routes: it collects them as they are added.
  await registerOpenApi(app, jar.session);
  await app.register(
    async (api) => {
      requireResponseSchemas(api);
      api.get('/health', { schema: { response: { 200: healthSchema } } }, async () => ({ ok: true }));
      await api.register(authRoutes(deps, jar));
      await api.register(meRoutes(deps, jar));
      await api.register(adminRoutes(deps, jar));
      await api.register(setupRoutes(deps, jar));
      await api.register(contactRoutes(deps));
      await api.register(supportRoutes(deps, jar));
      // Forward auth (SPEC §7): the reverse proxy's question before each request to a protected application.
      await api.register(
        authzRoutes(deps, { trustedPeer: peerIsTrustedProxy(options.trustProxy), signJwt: remoteJwtSigner(deps, options.publicUrl) }),
      );
      if (options.devMailbox) await api.register(devRoutes(deps));
      await api.register(openApiRoute(app));
    },
    { prefix: '/api/v1' },
  );
  let backchannel: BackchannelWorker | null = null;
  const registry = createOidcRegistry(deps, {
    publicUrl: options.publicUrl,
    log: app.log,
    backchannelQueued: () => backchannel?.wake(),
    tokensIssued: options.operations?.metrics ? (grant) => options.operations!.metrics!.countTokensIssued(grant) : undefined,
    ...options.oidc,
  });
  // Back-channel logout tokens (docs/oidc.md "Logout"): started by main.ts, drained by tests.
  backchannel = createBackchannelWorker(deps, registry, app.log);
  app.decorate('oidcBackchannel', backchannel);
  app.addHook('onClose', async () => backchannel?.stop());
  await app.register(oidcRoutes(deps, registry, options.publicUrl));
  await app.register(interactionRoutes(deps, registry, jar));
  // The sign-in paths on a protected application's host (the proxy routes /.keyward/* here).
  await app.register(signInRoutes(deps, { publicUrl: options.publicUrl, root: () => app }));
  if (options.webDir && webPage !== null) await serveWeb(app, deps, options.webDir, webPage, options.devMailbox);
  return app;
}

/** The single-page UI's index.html, which every app path answers (and unknown pages, with 404). */
function readWebPage(webDir: string): string {
  const index = path.join(webDir, 'index.html');
  if (!fs.existsSync(index)) throw new Error(`The web UI is not built: ${index} is missing (run npm run build:web).`);
  return fs.readFileSync(index, 'utf8');
}

/**
 * The pages of the single-page UI (web/src/app.tsx's routes): index.html with 200. Any other
 * address gets the same page with 404 from the not-found handler, so the app shows "Page not
 * found" and the status says so too (issue 13). Steps and tabs are query strings, never paths.
 */
export const WEB_PAGES = [
  '/',
  '/login',
  '/setup',
  '/invite',
  '/reset',
  '/forgot',
  '/profile',
  '/profile/password',
  '/profile/two-factor',
  '/settings',
  '/support',
] as const;

/** A page's address and its spelling with a trailing slash, which the web router accepts too. */
function withTrailingSlash(page: string): string[] {
  return page === '/' ? [page] : [page, `${page}/`];
}

/** The single-page UI: static files, and index.html for its pages (see WEB_PAGES). */
async function serveWeb(app: FastifyInstance, deps: Deps, webDir: string, html: string, devMailbox: boolean): Promise<void> {
  await app.register(fastifyStatic, { root: webDir, wildcard: false, index: false });
  const page = (_request: unknown, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  for (const route of WEB_PAGES.flatMap(withTrailingSlash)) app.get(route, page);
  // An instance's own login page (SPEC §6): the same app, told the instance's slug and name in
  // the page (escaped), so it shows no instance field; an unknown slug is a 404 with no name.
  const instanceLogin = async (request: FastifyRequest, reply: FastifyReply) => {
    const { slug } = request.params as { slug: string };
    const instance = await deps.stores.instances.findBySlug(slug);
    if (!instance) return reply.status(404).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    const meta =
      `<meta name="keyward-instance" content="${escapeHtml(instance.slug)}">` +
      `<meta name="keyward-instance-name" content="${escapeHtml(instance.name)}">`;
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(html.replace('<head>', `<head>${meta}`));
  };
  for (const route of withTrailingSlash('/i/:slug/login')) app.get(route, instanceLogin);
  // The mailbox page only where its API exists, and for the same Host headers (CFG-01).
  if (devMailbox) for (const route of withTrailingSlash('/dev/mailbox')) app.get(route, { preHandler: loopbackHostOnly }, page);
}
