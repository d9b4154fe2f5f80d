import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import { requireAdminRole } from '../../domain/instance/require-admin.ts';
import { updateKnownLocationSettings } from '../../domain/instance/update-known-location-settings.ts';
import type { KnownLocationSettings } from '../../domain/instance/instance.ts';
import { requireFullSession, type Cookies } from '../plugins/session.ts';

const settingsSchema = {
  type: 'object',
  required: ['knownLocations'],
  properties: {
    knownLocations: {
      type: 'object',
      required: ['trustDays', 'requireSameNetwork'],
      properties: { trustDays: { type: 'integer' }, requireSameNetwork: { type: 'boolean' } },
    },
  },
} as const;

const settingsBodySchema = {
  type: 'object',
  required: ['knownLocations'],
  additionalProperties: false,
  properties: {
    knownLocations: {
      type: 'object',
      additionalProperties: false,
      properties: { trustDays: { type: 'integer', minimum: 0, maximum: 30 }, requireSameNetwork: { type: 'boolean' } },
    },
  },
} as const;

/** The admin context: every route here needs a full session of an administrator of the instance. */
export function adminRoutes(deps: Deps, jar: Cookies) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireFullSession(deps, jar));

    app.get('/admin/instance-settings', { schema: { response: { 200: settingsSchema } } }, async (request) => {
      requireAdminRole(request.auth!);
      return { knownLocations: request.auth!.instance.knownLocations };
    });

    app.put<{ Body: { knownLocations: Partial<KnownLocationSettings> } }>(
      '/admin/instance-settings',
      { schema: { body: settingsBodySchema, response: { 200: settingsSchema } } },
      async (request) => ({ knownLocations: await updateKnownLocationSettings(deps, request.auth!, request.body.knownLocations) }),
    );
  };
}
