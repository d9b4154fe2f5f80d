import type { FastifyRequest } from 'fastify';
import pino from 'pino';
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

/** Where a process's JSON log lines go: one writer for pino's loggers (the app's and the process's). */
export interface LogDestination {
  write(line: string): void;
  /** Writes what waits, synchronously. */
  flush(): void;
}

/** Past this much a turn's lines are written at once, without waiting for the turn's end. */
const TURN_BUFFER_CHARS = 8 * 1024;

/**
 * stdout for the log, written once per turn of the event loop instead of once per line. Why:
 * every request logs two lines ("incoming request", "request completed"), and pino's default
 * destination writes each with its own write(2) to the pipe: sonic-boom and the system calls
 * under it were 6 % of the main thread's CPU for GET /api/v1/me (perf, issue 16), and requests
 * answered in the same turn now share one write. A line still leaves within its turn
 * (setImmediate), in order, written synchronously as before (by sonic-boom, with its EAGAIN
 * retries); what waits is written when the process exits, by process.exit or by a crash: only a
 * SIGKILL in the middle of a turn loses that turn's lines.
 */
export function turnBufferedStdout(fd = 1): LogDestination {
  const sonic = pino.destination({ dest: fd, sync: true });
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    sonic.write(text);
  };
  process.on('exit', flush);
  return {
    write(line) {
      pending += line;
      if (pending.length >= TURN_BUFFER_CHARS) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
