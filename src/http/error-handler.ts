import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DomainError, type ErrorCode, type ErrorReason } from '../domain/shared/errors.ts';
import { validationSentence } from './validation-message.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** The error code of this answer once the error handler sent one; null for other answers. */
    errorCode: string | null;
  }
}

/** One status per code; the compiler asks for a status whenever a code is added (STYLE.md). */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_credentials: 401,
  unauthenticated: 401,
  forbidden: 403,
  plan_required: 403,
  cannot_reset_self: 403,
  setup_enforced: 403,
  step_up_required: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_policy: 422,
  weak_password: 422,
  password_reused: 422,
  locked: 423,
  rate_limited: 429,
  reauthentication_required: 403,
  totp_required: 403,
  admin_recovery_required: 403,
  server_busy: 503,
  recovery_not_needed: 409,
  insufficient_scope: 403,
  account_disabled: 403,
  email_taken: 409,
  cannot_delete_self: 403,
  host_taken: 409,
  invalid_return_url: 400,
  proxy_not_trusted: 403,
  unknown_host: 403,
  service_unavailable: 503,
};

export interface ErrorBody {
  /** `reason`: finer than the code, where one helps a client explain (see ErrorReason). */
  error: { code: ErrorCode; message: string; field?: string; reason?: ErrorReason };
}

/**
 * Answers `status` with the error object and tells the metrics its code (`reply.errorCode`:
 * keyward_login_steps_total's outcome), for refusals sent before or outside the error handler.
 */
export function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  reply.errorCode = body.error.code;
  return reply.status(status).send(body);
}

export function errorBody(code: ErrorCode, message: string, field?: string, reason?: ErrorReason): ErrorBody {
  return { error: { code, message, ...(field ? { field } : {}), ...(reason ? { reason } : {}) } };
}

/**
 * Every error leaves as `{error: {code, message}}`; only unexpected errors are 500 and logged.
 * With the web UI (`notFoundPage`: its index.html), a browser's GET of an unknown page outside
 * /api gets that page with 404, so the app shows its "Page not found"; the API stays JSON.
 */
export function registerErrorHandler(app: FastifyInstance, options: { notFoundPage?: string | null } = {}): void {
  // The answer's code, for whatever reads it after the handler (the login-step metrics).
  app.decorateReply('errorCode', null);
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      reply.errorCode = error.code;
      // The database away (storage/errors.ts): worth a line for the operator, with what pg said.
      if (error.code === 'service_unavailable') request.log.warn({ err: error.cause ?? error }, 'database unavailable');
      const retryAfter = error.details.retryAfterSeconds;
      if (retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(retryAfter)));
      return reply.status(STATUS_BY_CODE[error.code]).send(errorBody(error.code, error.message, error.details.field, error.details.reason));
    }
    if (error.validation) {
      const first = error.validation[0];
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const path = [first?.instancePath?.replace(/^\//, '').replace(/\//g, '.'), missing].filter(Boolean).join('.');
      const field = path || error.validationContext || 'body';
      const refusal = first ? { keyword: first.keyword, params: first.params ?? {} } : undefined;
      reply.errorCode = 'invalid_request';
      return sendError(reply, 400, errorBody('invalid_request', validationSentence(field, refusal), field));
    }
    const status = error.statusCode ?? 500;
    if (status === 413) return sendError(reply, 413, errorBody('payload_too_large', 'The request body is too large.'));
    if (status === 415) return sendError(reply, 415, errorBody('unsupported_media_type', 'Send JSON with Content-Type: application/json.'));
    if (status >= 400 && status < 500) {
      return sendError(reply, 400, errorBody('invalid_request', 'The request could not be read.', 'body'));
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side.' } });
  });

  const page = options.notFoundPage ?? null;
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    if (page !== null && wantsPage(request.method, path, request.headers.accept)) {
      return reply.status(404).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page);
    }
    return sendError(reply, 404, errorBody('not_found', `No route ${request.method} ${path}.`));
  });
}

/** A browser opening a page: GET or HEAD, outside /api, asking for HTML. */
function wantsPage(method: string, path: string, accept: string | undefined): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (path === '/api' || path.startsWith('/api/')) return false;
  return (accept ?? '').includes('text/html');
}
