import type { FastifyInstance } from 'fastify';
import { errorBody, sendError } from '../error-handler.ts';

/** NUL and unpaired UTF-16 surrogates: PostgreSQL stores neither in text or jsonb. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The path of the first string in `value` (keys included) that the database could not store, or
 * null. Iterative, with an explicit stack: no input nests deep enough to exhaust the call stack.
 */
export function unstorableField(value: unknown, path = ''): string | null {
  const pending: Array<[unknown, string]> = [[value, path]];
  while (pending.length > 0) {
    const [item, at] = pending.pop()!;
    if (typeof item === 'string') {
      if (UNSTORABLE.test(item)) return at || 'body';
    } else if (item !== null && typeof item === 'object') {
      const children: Array<[unknown, string]> = Array.isArray(item)
        ? item.map((child, i) => [child, `${at}[${i}]`])
        : Object.entries(item).flatMap(([key, child]): Array<[unknown, string]> => [
            [key, at],
            [child, at ? `${at}.${key}` : key],
          ]);
      for (let i = children.length - 1; i >= 0; i -= 1) pending.push(children[i]!);
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
    if (field)
      return sendError(reply, 400, errorBody('invalid_request', 'Text may not contain NUL or unpaired surrogate characters.', field));
  });
}
