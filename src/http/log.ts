import type { FastifyRequest } from 'fastify';
import { clientIp, clientUserAgent } from './client-address.ts';

/** Never in a log line: cookies, authorization, set-cookie (LOG-02). Bodies are not logged at all. */
export const LOG_REDACT_PATHS = ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'];

const SECRET_QUERY = /([?&](?:token|code|password|secret|backupCode|recoveryCode)=)[^&#]*/gi;

export const requestLogSerializers = {
  req(request: FastifyRequest) {
    return {
      method: request.method,
      url: request.url.replace(SECRET_QUERY, '$1[redacted]'),
      remoteAddress: clientIp(request) ?? undefined,
      userAgent: clientUserAgent(request) ?? undefined,
    };
  },
};
