/**
 * The reverse proxy's question before each request to a protected application (SPEC §7):
 * `auth-request` for nginx's auth_request (2xx / 401 / 403; nginx turns 401 into the sign-in) and
 * `forward-auth` for Traefik's forwardAuth and Caddy's forward_auth (200 / 302 to the sign-in /
 * 403). One SQL statement per question (the lookup of judgeForwardRequest).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';
import { judgeForwardRequest, type ForwardVerdict } from '../../domain/forward-auth/forward-auth.ts';
import type { ErrorCode } from '../../domain/shared/errors.ts';
import { forwardCookieNames, originalRequest, type OriginalRequest } from './proxy.ts';
import { clearIdentity, setIdentity } from './identity-headers.ts';
import { authzAllowedSchema, authzRefusedSchema } from './authz.schemas.ts';

export interface AuthzOptions {
  /** Whether the TCP peer is a TRUST_PROXY address (proxy.ts). */
  trustedPeer: (request: FastifyRequest) => boolean;
  signJwt: (
    app: Extract<ForwardVerdict, { kind: 'allow' }>['app'],
    identity: Extract<ForwardVerdict, { kind: 'allow' }>['identity'],
  ) => Promise<string>;
}

type Flavour = 'auth-request' | 'forward-auth';

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  proxy_not_trusted: 'This address is not a trusted proxy (TRUST_PROXY).',
  unknown_host: 'No protected application has this host.',
  unauthenticated: 'Sign in first.',
  step_up_required: 'This page asks for a code from your authenticator app.',
  forbidden: 'Only administrators may open this page.',
};

function refuse(reply: FastifyReply, status: number, code: ErrorCode) {
  // For what reads the answer afterwards (the forward-auth decision metrics), as the error handler does.
  reply.errorCode = code;
  return clearIdentity(reply)
    .status(status)
    .send({ error: { code, message: MESSAGES[code] ?? code } });
}

/** Where a browser begins the sign-in on the application's own host, with the URL it wanted. */
export function startUrl(original: Pick<OriginalRequest, 'protocol' | 'host' | 'url'>): string {
  return `${original.protocol}://${original.host}/.keyward/start?rd=${encodeURIComponent(original.url)}`;
}

export function authzRoutes(deps: Deps, options: AuthzOptions): RoutePlugin {
  async function answer(flavour: Flavour, request: FastifyRequest, reply: FastifyReply) {
    // Why no-store: an answer is about one browser's session now; no cache may give it to another.
    reply.header('cache-control', 'no-store');
    // Why refused, not judged on the socket's view: from anyone but the proxy, X-Forwarded-* and
    // the cookie are the client's own words, and an answer would let it probe sessions and rules.
    if (!options.trustedPeer(request)) return refuse(reply, 403, 'proxy_not_trusted');
    const original = originalRequest(request);
    if (!original) return refuse(reply, 403, 'unknown_host');
    const names = forwardCookieNames(original.protocol);
    const cookies = { host: request.cookies[names.session], domain: request.cookies[names.domain] };
    const verdict = await judgeForwardRequest(deps, original.host, original.uri, cookies);
    switch (verdict.kind) {
      case 'allow':
        return setIdentity(reply, verdict.identity, await options.signJwt(verdict.app, verdict.identity))
          .status(200)
          .send({ allowed: true });
      case 'unknown_host':
        return refuse(reply, 403, 'unknown_host');
      case 'forbidden':
        return refuse(reply, 403, 'forbidden');
      case 'sign_in':
      case 'step_up': {
        const code = verdict.kind === 'sign_in' ? 'unauthenticated' : 'step_up_required';
        // Both carry the sign-in address on this host with the return URL encoded in it (the
        // start asks for mfa itself when the return URL's path needs it). nginx: 401, and its
        // `auth_request_set … $upstream_http_location` + `error_page 401 =302` send the browser
        // there (nginx cannot URL-encode a return URL itself). Traefik and Caddy: the 302 here.
        reply.header('location', startUrl(original));
        return refuse(reply, flavour === 'auth-request' ? 401 : 302, code);
      }
    }
  }

  return async (app) => {
    const schema = (statuses: number[]) => ({
      tags: ['forward auth'],
      response: { 200: authzAllowedSchema, ...Object.fromEntries(statuses.map((status) => [status, authzRefusedSchema])) },
    });
    app.get('/authz/auth-request', { schema: schema([401, 403]) }, (request, reply) => answer('auth-request', request, reply));
    app.get('/authz/forward-auth', { schema: schema([302, 403]) }, (request, reply) => answer('forward-auth', request, reply));
  };
}
