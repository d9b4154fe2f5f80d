/**
 * Mounts each instance's provider at `/i/{slug}`: the request goes to oidc-provider as Node's
 * raw request and response (the reply is hijacked), with its URL made relative to the issuer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { errorBody } from '../error-handler.ts';
import type { OidcRegistry } from './provider-registry.ts';

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

export function oidcRoutes(registry: OidcRegistry, publicUrl: URL) {
  const proto = publicUrl.protocol.slice(0, -1);
  const notFound = (reply: FastifyReply, slug: string) => reply.status(404).send(errorBody('not_found', `No instance "${slug}".`));

  const handler: RouteHandlerMethod = async (request: FastifyRequest, reply: FastifyReply) => {
    const { slug } = request.params as { slug: string };
    const mounted = await registry.forSlug(slug);
    const raw = request.raw as IncomingMessage & { baseUrl?: string };
    const url = mounted && relativeUrl(raw.url ?? '', mounted.mountPath);
    if (!mounted || !url) return notFound(reply, slug);
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
  };

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
