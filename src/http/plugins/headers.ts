import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';

/** A response header as helmet writes it: its name as spelled, and its value. */
export type SecurityHeader = readonly [name: string, value: string];

/**
 * keyward's helmet options: a strict CSP (no inline script or style, no framing), no referrer,
 * nosniff; HSTS only when served over https (it is ignored over http anyway).
 */
export function securityHeaderOptions(publicUrl: URL): FastifyHelmetOptions {
  const https = publicUrl.protocol === 'https:';
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  };
}

/**
 * The headers helmet sets with `options`, read once from helmet itself: a scratch Fastify app
 * with @fastify/helmet answers one request, and what helmet put on the raw response before the
 * handler ran is the list, names spelled as helmet spells them.
 */
export async function helmetHeaders(options: FastifyHelmetOptions): Promise<SecurityHeader[]> {
  const scratch = Fastify({ logger: false });
  let headers: SecurityHeader[] = [];
  await scratch.register(helmet as FastifyPluginAsync<FastifyHelmetOptions>, options);
  scratch.get('/', (_request, reply) => {
    // getRawHeaderNames (Node ≥ 15.13, missing from @types/node): the names as helmet spelled them.
    const raw = reply.raw as typeof reply.raw & { getRawHeaderNames(): string[] };
    headers = raw.getRawHeaderNames().map((name) => [name, String(raw.getHeader(name))] as const);
    return reply.send('');
  });
  await scratch.inject({ method: 'GET', url: '/' });
  await scratch.close();
  return headers;
}

/**
 * Security headers on every response (helmet's, with securityHeaderOptions), and API answers are
 * never cached: they carry personal data and session state (SES-11).
 *
 * Why not @fastify/helmet on the app: it calls `helmet(options)` on every request, which parses
 * and re-serialises the CSP directives and builds a dozen middlewares each time: 6.5 % of the
 * main thread's CPU for an authenticated GET /api/v1/me (perf, issue 16). keyward's options have
 * nothing per request (no nonces, no directive functions), so the headers are computed once,
 * by helmet, at start. They still go on the raw response in onRequest, as helmet's did: answers
 * written through the raw response (the OpenID Connect provider) carry them too, and the provider's
 * pages read and widen the CSP there (oidc/pages.ts, oidc/form-action.ts).
 */
export async function registerSecurityHeaders(app: FastifyInstance, publicUrl: URL): Promise<void> {
  const headers = await helmetHeaders(securityHeaderOptions(publicUrl));
  app.addHook('onRequest', (_request, reply, done) => {
    const raw = reply.raw;
    for (const [name, value] of headers) raw.setHeader(name, value);
    done();
  });
  // Synchronous hook: an async one costs a promise and a microtask on every answer.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
