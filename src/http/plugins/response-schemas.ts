import type { FastifyInstance } from 'fastify';

/**
 * onRoute: an API route without the schema of its success answer is refused when it is added, so
 * the app does not start with one. Why: the response schema is the allow-list of what leaves
 * (fast-json-stringify drops every field it does not name), and the type of what the handler
 * must return (the type provider); without it a use-case's whole object would be sent.
 */
export function requireResponseSchemas(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const statuses = Object.keys((route.schema?.response as object | undefined) ?? {});
    if (!statuses.some((status) => /^2(\d\d|xx)$/.test(status))) {
      throw new Error(`${String(route.method)} ${route.url} declares no response schema for its success answer.`);
    }
  });
}
