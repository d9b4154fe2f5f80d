/** Schemas shared by several route files. */

/** A path's `:id`: any string, looked up (and refused) by the use-case. */
export const idParamsSchema = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;

/** Support's `/instances/:slug/…` paths. */
export const slugParamsSchema = { type: 'object', required: ['slug'], properties: { slug: { type: 'string' } } } as const;
export const slugIdParamsSchema = {
  type: 'object',
  required: ['slug', 'id'],
  properties: { slug: { type: 'string' }, id: { type: 'string' } },
} as const;

/**
 * A 204 answer: no body (Fastify sends none for 204). Declared so every route names what it
 * answers (test/http/contract.test.ts); no `type`, so `reply.send()` takes no payload.
 */
export const noContentSchema = { description: 'No content' } as const;
