/**
 * Machine access to the admin API (SPEC §6): `Authorization: Bearer <access token>` of a
 * client_credentials client (RFC 6750 §2.1), checked in the admin context before any handler.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import { authenticateMachine, type AdminCaller, type MachineCaller } from '../../domain/oidc/machine-access.ts';
import type { MachineScope } from '../../domain/oidc/oidc-client.ts';
import { errorBody } from '../error-handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The machine client behind a Bearer token (admin routes only); null for cookie requests. */
    machine: MachineCaller | null;
  }
  interface FastifyContextConfig {
    /** A route of the admin context: a Bearer token is its credential when one is sent. */
    adminApi?: boolean;
    /** The machine scope that opens this admin route to a Bearer token; none: humans only. */
    bearerScope?: MachineScope;
  }
}

/** RFC 6750 §2.1: the scheme is case-insensitive, the token a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The token when the request names the Bearer scheme (`''` for a malformed one, which is refused
 * as invalid), undefined when it does not: then the cookie is the credential.
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^bearer(\s|$)/i.test(header)) return undefined;
  return BEARER.exec(header)?.[1] ?? '';
}

/** Who calls a route open to machines: the machine client if a token was sent, else the session. */
export function adminCaller(request: FastifyRequest): AdminCaller {
  return request.machine ?? request.auth!;
}

const REALM = 'realm="keyward"';

/**
 * preHandler of the admin context for a request with a Bearer token: the token alone is the
 * credential (a cookie sent along is ignored, so a token request never acts as a browser's
 * session); true when it authenticated the request, false when it answered already. No token:
 * undefined, and the cookie path runs.
 *
 * Why 401 `invalid_token` for bad, expired and revoked tokens alike and 403 `insufficient_scope`
 * (RFC 6750 §3, §3.1): the client learns to get a new token, or that no token of its will do.
 */
export async function authenticateBearer(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<boolean | undefined> {
  const token = bearerToken(request);
  if (token === undefined) return undefined;
  const caller = token ? await authenticateMachine(deps, token) : null;
  if (!caller) {
    await reply
      .status(401)
      .header('www-authenticate', `Bearer ${REALM}, error="invalid_token"`)
      .send(errorBody('unauthenticated', 'The access token is not valid: get a new one.'));
    return false;
  }
  // Deny by default (OWASP ASVS 5.0 V8.2.1): only a route that names a scope takes a token.
  const scope = request.routeOptions.config.bearerScope;
  if (!scope || !caller.scopes.has(scope)) {
    await reply
      .status(403)
      .header('www-authenticate', `Bearer ${REALM}, error="insufficient_scope"${scope ? `, scope="${scope}"` : ''}`)
      .send(
        errorBody(
          'insufficient_scope',
          scope
            ? `This needs an access token with the scope ${scope}.`
            : 'Only an administrator’s session can do this, not an access token.',
        ),
      );
    return false;
  }
  request.machine = caller;
  return true;
}
