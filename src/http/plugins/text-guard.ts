import type { FastifyInstance } from 'fastify';
import { errorBody, sendError } from '../error-handler.ts';

/** NUL and unpaired UTF-16 surrogates: PostgreSQL stores neither in text or jsonb. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The path of the first string in `value` (keys included) that the database could not store, or
 * null. Iterative, with an explicit stack: no input nests deep enough to exhaust the call stack.
 */
export function unstorableField(value: unknown, path = ''): string | null {
  // Why the first look: nearly every request is clean, and its strings are checked where they
  // are, with no path built (issue 16: per-request work). Only a refusal walks again for its path.
  if (!holdsUnstorable(value)) return null;
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

/** Whether any string in `value` (keys included) is unstorable; iterative, no paths. */
function holdsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (value === null || typeof value !== 'object') return false;
  const pending: object[] = [value];
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (Array.isArray(item)) {
      for (const child of item as unknown[]) {
        if (typeof child === 'string') {
          if (UNSTORABLE.test(child)) return true;
        } else if (child !== null && typeof child === 'object') pending.push(child);
      }
    } else {
      for (const key in item) {
        if (!Object.hasOwn(item, key)) continue;
        if (UNSTORABLE.test(key)) return true;
        const child = (item as Record<string, unknown>)[key];
        if (typeof child === 'string') {
          if (UNSTORABLE.test(child)) return true;
        } else if (child !== null && typeof child === 'object') pending.push(child);
      }
    }
  }
  return false;
}

/**
 * Why at the edge: a NUL byte or a lone surrogate in any string would otherwise reach
 * PostgreSQL, which refuses it with an error that becomes a 500. Bad input gets a 400 naming the
 * field and changes nothing, on every route, present and future.
 */
export function registerTextGuard(app: FastifyInstance): void {
  // Synchronous: an async hook costs a promise and a microtask on every request (issue 16).
  app.addHook('preValidation', (request, reply, done) => {
    const field = unstorableField(request.query) ?? unstorableField(request.params) ?? unstorableField(request.body);
    if (field) {
      // Answered here: Fastify runs no further hook or handler once a hook's reply is sent.
      sendError(reply, 400, errorBody('invalid_request', 'Text may not contain NUL or unpaired surrogate characters.', field));
      return;
    }
    done();
  });
}
