import type { FastifyInstance } from 'fastify';
import { errorBody, sendError } from '../error-handler.ts';
import { bearerToken } from './bearer.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The origins allowed to change state: PUBLIC_URL's, plus, for a loopback PUBLIC_URL, the other
 * loopback spellings of it (a developer may open localhost or 127.0.0.1).
 */
export function allowedOrigins(publicUrl: URL): Set<string> {
  const origins = new Set([publicUrl.origin]);
  if (LOOPBACK_HOSTS.includes(publicUrl.hostname)) {
    for (const host of LOOPBACK_HOSTS) {
      origins.add(`${publicUrl.protocol}//${host}${publicUrl.port ? `:${publicUrl.port}` : ''}`);
    }
  }
  return origins;
}

/**
 * Why: every state change must come from our own pages (OWASP CSRF cheat sheet, CSRF-01/04).
 * Fetch Metadata first (`Sec-Fetch-Site: cross-site` is refused), then a mandatory Origin that
 * must be ours; a request without Origin is refused too, so non-browser clients send it
 * explicitly (SPEC §3). Login is covered as well (login CSRF).
 *
 * A Bearer request to the admin API needs no Origin (SPEC §6): the guard protects ambient
 * credentials, the cookies a browser attaches by itself, and a page of another site cannot make
 * a browser send an Authorization header (a cross-origin one needs a CORS preflight, which /api
 * never grants; OWASP CSRF cheat sheet: token-based authentication outside cookies is not
 * CSRF-prone). Only where the token is then the one credential: the admin context ignores the
 * cookie of a request that sends a token (plugins/bearer.ts); everywhere else the guard holds.
 */
export function registerCsrfGuard(app: FastifyInstance, publicUrl: URL): void {
  const allowed = allowedOrigins(publicUrl);
  // Synchronous: an async hook costs a promise and a microtask on every request (issue 16); a GET
  // is let through before Fastify builds `routeOptions` (a new object at each reading).
  app.addHook('onRequest', (request, reply, done) => {
    if (SAFE_METHODS.has(request.method)) return done();
    const config = request.routeOptions.config;
    if (config.csrfExempt === true || (config.adminApi === true && bearerToken(request) !== undefined)) return done();
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    if (site === 'cross-site' || !origin || !allowed.has(origin)) {
      // Answered here: Fastify runs no further hook or handler once a hook's reply is sent.
      sendError(reply, 403, errorBody('csrf', 'This request did not come from this site.'));
      return;
    }
    done();
  });
}
