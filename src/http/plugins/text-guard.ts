import type { FastifyInstance } from 'fastify';
import { errorBody } from '../error-handler.ts';

/** NUL and unpaired UTF-16 surrogates: PostgreSQL stores neither in text or jsonb. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first string in `value` that the database could not store, or null. */
export function unstorableField(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path || 'body' : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unstorableField(item, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = unstorableField(key, path) ?? unstorableField(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Why at the edge: a NUL byte or a lone surrogate in any string would otherwise reach
 * PostgreSQL, which refuses it with an error that becomes a 500. Bad input gets a 400 naming the
 * field and changes nothing, on every route, present and future.
 */
export function registerTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request, reply) => {
    const field = unstorableField(request.query) ?? unstorableField(request.params) ?? unstorableField(request.body);
    if (field) return reply.status(400).send(errorBody('invalid_request', 'Text may not contain NUL or unpaired surrogate characters.', field));
  });
}
