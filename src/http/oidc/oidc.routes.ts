/**
 * Mounts each instance's provider at `/i/{slug}`: the request goes to oidc-provider as Node's
 * raw request and response (the reply is hijacked), with its URL made relative to the issuer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { errorBody, sendError } from '../error-handler.ts';
import type { OidcRegistry } from './provider-registry.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { reserveTokenRequest, tokenRequestDone, type TokenOutcome } from '../../domain/oidc/token-throttle.ts';
import { clientAuthFailed } from './client-auth-events.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route is an OAuth endpoint, outside the same-origin guard of /api (plugins/csrf.ts). */
    csrfExempt?: boolean;
  }
}

const METHODS = ['GET', 'POST', 'OPTIONS'];

/** The part of `url` after the mount path, or null when `url` does not begin with it as a segment. */
export function relativeUrl(url: string, mountPath: string): string | null {
  if (!url.startsWith(mountPath)) return null;
  const rest = url.slice(mountPath.length);
  if (rest === '') return '/';
  if (rest.startsWith('/')) return rest;
  return rest.startsWith('?') ? `/${rest}` : null;
}

/** The endpoints that authenticate clients, relative to the issuer (the library's routes). */
const CLIENT_AUTH_PATHS = new Set(['/token', '/token/introspection', '/token/revocation']);

/**
 * The client id of `Authorization: Basic` (client_secret_basic, RFC 6749 §2.3.1: form-encoded),
 * or null; a public client names itself in the body, which only the provider reads.
 */
export function basicClientId(header: string | undefined): string | null {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  try {
    const id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    return id.length <= 200 ? id : null;
  } catch {
    return null;
  }
}

export function oidcRoutes(deps: Deps, registry: OidcRegistry, publicUrl: URL) {
  const proto = publicUrl.protocol.slice(0, -1);
  const notFound = (reply: FastifyReply, slug: string) => sendError(reply, 404, errorBody('not_found', `No instance "${slug}".`));

  const handler: RouteHandlerMethod = async (request: FastifyRequest, reply: FastifyReply) => {
    const { slug } = request.params as { slug: string };
    const mounted = await registry.forSlug(slug);
    const raw = request.raw as IncomingMessage & { baseUrl?: string };
    const url = mounted && relativeUrl(raw.url ?? '', mounted.mountPath);
    if (!mounted || !url) return notFound(reply, slug);
    // keyward's throttle before the provider evaluates a client's credentials (token-throttle.ts);
    // no statement on the other endpoints.
    const throttled = request.method === 'POST' && CLIENT_AUTH_PATHS.has(url.split('?')[0]!);
    const attempt = throttled
      ? await reserveTokenRequest(deps, mounted.instance.slug, basicClientId(request.headers.authorization), request.ip)
      : null;
    if (attempt && 'refused' in attempt) return refuse(reply, attempt.refused, attempt.retryAfterSeconds);
    reply.hijack();
    const original = raw.url;
    raw.url = url;
    // The library builds its endpoint URLs from the mount path (`baseUrl`, as under Express) and
    // the request's origin. Why set here, not taken from the client: the issuer's endpoints are
    // always PUBLIC_URL's, whatever Host a client sends (no host-header poisoning), and the
    // client address is the one TRUST_PROXY allows (Fastify's request.ip), never a forged header.
    raw.baseUrl = mounted.mountPath;
    raw.headers['x-forwarded-proto'] = proto;
    raw.headers['x-forwarded-host'] = publicUrl.host;
    raw.headers['x-forwarded-for'] = request.ip;
    try {
      await mounted.handle(raw, reply.raw);
    } finally {
      // request.url reads the raw URL: the log and later hooks see the path that was requested.
      raw.url = original;
    }
    if (attempt) {
      const outcome: TokenOutcome = clientAuthFailed(raw) ? 'client_failed' : 'authenticated';
      // The answer is out already; a failure here leaves the attempt counted (the safe side).
      await tokenRequestDone(deps, attempt, outcome).catch((err: unknown) => request.log.error({ err }, 'token throttle'));
    }
  };

  /**
   * The OAuth error shape (RFC 6749 §5.2) with Retry-After. A locked client id answers as a failed
   * client authentication, 401 `invalid_client`, whatever secret was sent (the right one too, so
   * a guesser learns nothing from it); a locked address 429 `slow_down` (the name RFC 8628 §3.5
   * gives "poll less often"): it is the network that must wait, not one client.
   */
  function refuse(reply: FastifyReply, refused: 'client_locked' | 'address_locked', retryAfterSeconds: number) {
    const locked = refused === 'client_locked';
    reply
      .status(locked ? 401 : 429)
      .header('cache-control', 'no-store')
      .header('retry-after', String(Math.ceil(retryAfterSeconds)));
    if (locked) reply.header('www-authenticate', 'Basic realm="keyward"');
    return reply.send(
      locked
        ? { error: 'invalid_client', error_description: 'too many failed client authentications: try again later' }
        : { error: 'slow_down', error_description: 'too many failed client authentications from this address: try again later' },
    );
  }

  return async (app: FastifyInstance) => {
    // oidc-provider reads its own bodies (form-encoded and JSON, with its own limits): no parser
    // of this context touches the stream.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    // Why outside the CSRF guard: these endpoints are called cross-site by design — the token,
    // revocation and introspection endpoints by relying parties' servers (client authentication,
    // no cookie, no Origin), the authorization and logout endpoints by their pages (state, PKCE,
    // nonce and the library's own logout form token protect them: RFC 6749 §10.12, RFC 9700 §4.7).
    const config = { csrfExempt: true };
    app.route({ method: METHODS, url: '/i/:slug', config, handler });
    app.route({ method: METHODS, url: '/i/:slug/*', config, handler });
  };
}
