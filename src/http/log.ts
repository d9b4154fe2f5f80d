import type { FastifyRequest } from 'fastify';
import { clientIp, clientUserAgent } from './client-address.ts';

/** Never in a log line: cookies, authorization, set-cookie (LOG-02). Bodies are not logged at all. */
export const LOG_REDACT_PATHS = ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'];

/**
 * Query parameters that carry a secret, ours and OAuth's: an authorization code, tokens and
 * token hints (RFC 6749, OIDC Core §3.1.2.1 `id_token_hint`), PKCE verifiers, client secrets and
 * request objects never reach a log line (LOG-02, issue 12).
 */
const SECRET_QUERY =
  /([?&](?:token|code|password|secret|backupCode|recoveryCode|id_token_hint|access_token|refresh_token|id_token|code_verifier|client_secret|client_assertion|request|logout_token)=)[^&#]*/gi;

export const requestLogSerializers = {
  req(request: FastifyRequest) {
    return {
      method: request.method,
      // Without a query there is nothing to redact, and no regular expression to run.
      url: request.url.includes('?') ? request.url.replace(SECRET_QUERY, '$1[redacted]') : request.url,
      remoteAddress: clientIp(request) ?? undefined,
      userAgent: clientUserAgent(request) ?? undefined,
    };
  },
};
