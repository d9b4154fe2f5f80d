/**
 * Route plugins typed from their schemas (@fastify/type-provider-json-schema-to-ts): a handler's
 * `request.body`, `query` and `params` are what the request schema lets through, and what it
 * returns must match the response schema of its status. The schemas stay plain `as const` JSON
 * Schema, so the same objects validate (ajv), serialize (fast-json-stringify) and type.
 */
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';

/** A `date-time` string in a reply may be handed over as a Date: fast-json-stringify writes it in ISO 8601. */
interface SerializerSchemaOptions {
  parseNotKeyword: false;
  parseIfThenElseKeywords: false;
  keepDefaultedPropertiesOptional: false;
  references: false;
  deserialize: [{ pattern: { type: 'string'; format: 'date-time' }; output: Date | string }];
}

export type RoutePlugin = FastifyPluginAsyncJsonSchemaToTs<{ SerializerSchemaOptions: SerializerSchemaOptions }>;
