import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/shared/deps.ts';
import { requireAdminRole } from '../../domain/instance/require-admin.ts';
import { updateKnownLocationSettings } from '../../domain/instance/update-known-location-settings.ts';
import type { KnownLocationSettings } from '../../domain/instance/instance.ts';
import { listMail, retryMail } from '../../domain/mail/manage-mail.ts';
import { listUsers, MAX_PAGE_SIZE } from '../../domain/admin/list-users.ts';
import { inviteUser, updateUser } from '../../domain/admin/manage-users.ts';
import { askUsersToEnable } from '../../domain/admin/ask-to-enable.ts';
import { twoFactorAdoption } from '../../domain/admin/adoption.ts';
import { invalidInput } from '../../domain/shared/errors.ts';
import { updatePasswordPolicy } from '../../domain/policy/update-policy.ts';
import type { PolicyPatch } from '../../domain/policy/policy.ts';
import { policyPatchSchema, policySchema, type PolicyPatchBody } from './policy.schemas.ts';
import type { MailLogEntry } from '../../domain/mail/mail-log-store.ts';
import { requestClient, requireFullSession, type Cookies } from '../plugins/session.ts';
import { Readable } from 'node:stream';
import { resetByAdmin } from '../../domain/recovery/reset-two-factor.ts';
import { endUserSessions } from '../../domain/session/manage-sessions.ts';
import { startPasswordRecovery } from '../../domain/recovery/password-recovery.ts';
import { endedSchema } from './sessions.schemas.ts';
import { allAuditEvents, csvHeader, csvLine, listAuditEvents } from '../../domain/audit/read-audit.ts';
import { auditExportQuerySchema, auditPageSchema, auditQuerySchema, resetBodySchema, type AuditQuerystring } from './audit.schemas.ts';

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

const mailQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { type: 'string', enum: ['pending', 'sending', 'sent', 'dead'] } },
} as const;

const idParamsSchema = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,15}$' } } } as const;

const mailListSchema = {
  type: 'object',
  properties: {
    messages: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          to: { type: 'string' },
          subject: { type: 'string' },
          status: { type: 'string' },
          attempts: { type: 'integer' },
          lastError: { type: ['string', 'null'] },
          createdAt: { type: 'string', format: 'date-time' },
          sentAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
} as const;

const usersQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 254 },
    twoFactor: { type: 'string', enum: ['active', 'pending', 'off'] },
    limit: { type: 'string', pattern: '^[0-9]{1,3}$' },
    cursor: { type: 'string', maxLength: 2000 },
    sort: { type: 'string', enum: ['email', 'name'] },
  },
} as const;

interface UsersQuery {
  q?: string;
  twoFactor?: 'active' | 'pending' | 'off';
  limit?: string;
  cursor?: string;
  sort?: 'email' | 'name';
}

const inviteBodySchema = {
  type: 'object',
  required: ['email', 'name', 'role'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 1, maxLength: 254 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    role: { type: 'string', enum: ['admin', 'member'] },
  },
} as const;

const updateUserBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { role: { type: 'string', enum: ['admin', 'member'] }, status: { type: 'string', enum: ['active', 'disabled'] } },
} as const;

const emptyBodySchema = { type: ['object', 'null'], additionalProperties: false, properties: {} } as const;

const recoveryCodeSchema = {
  type: 'object',
  required: ['code', 'expiresAt'],
  properties: { code: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
} as const;

/** The admin context: every route here needs a full session of an administrator of the instance. */
export function adminRoutes(deps: Deps, jar: Cookies) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireFullSession(deps, jar));

    app.get('/admin/instance-settings', { schema: { response: { 200: settingsSchema } } }, async (request) => {
      requireAdminRole(request.auth!);
      return { knownLocations: request.auth!.instance.knownLocations };
    });

    app.get<{ Querystring: { status?: MailLogEntry['status'] } }>(
      '/admin/mail',
      { schema: { querystring: mailQuerySchema, response: { 200: mailListSchema } } },
      async (request) => ({ messages: await listMail(deps, request.auth!, request.query.status ?? null) }),
    );

    app.post<{ Params: { id: string } }>('/admin/mail/:id/retry', { schema: { params: idParamsSchema } }, async (request, reply) => {
      await retryMail(deps, request.auth!, Number(request.params.id));
      return reply.status(204).send();
    });

    app.get<{ Querystring: UsersQuery }>('/admin/users', { schema: { querystring: usersQuerySchema } }, async (request) => {
      const { limit, ...rest } = request.query;
      const size = limit === undefined ? undefined : Number(limit);
      if (size !== undefined && (size < 1 || size > MAX_PAGE_SIZE)) throw invalidInput('limit', `Use a page size from 1 to ${MAX_PAGE_SIZE}.`);
      return listUsers(deps, request.auth!, { ...rest, ...(size !== undefined ? { limit: size } : {}) });
    });

    app.post<{ Body: { email: string; name: string; role: string } }>(
      '/admin/users',
      { schema: { body: inviteBodySchema } },
      async (request, reply) => reply.status(201).send(await inviteUser(deps, request.auth!, request.body, requestClient(request))),
    );

    app.patch<{ Params: { id: string }; Body: { role?: string; status?: 'active' | 'disabled' } }>(
      '/admin/users/:id',
      { schema: { body: updateUserBodySchema } },
      async (request) => updateUser(deps, request.auth!, request.params.id, request.body, requestClient(request)),
    );

    app.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
      '/admin/users/:id/two-factor/reset',
      { schema: { body: resetBodySchema } },
      async (request, reply) => {
        await resetByAdmin(deps, request.auth!, request.params.id, requestClient(request), request.body?.reason?.trim() || null);
        return reply.status(204).send();
      },
    );

    // Issue 10 item 3: the code is in this answer only (no-store), never in a mail or a log.
    app.post<{ Params: { id: string } }>(
      '/admin/users/:id/password-recovery',
      { schema: { body: emptyBodySchema, response: { 201: recoveryCodeSchema } } },
      async (request, reply) => {
        const { code, expiresAt } = await startPasswordRecovery(deps, request.auth!, request.params.id, requestClient(request));
        return reply.status(201).header('cache-control', 'no-store').send({ code, expiresAt: expiresAt.toISOString() });
      },
    );

    app.delete<{ Params: { id: string } }>('/admin/users/:id/sessions', { schema: { response: { 200: endedSchema } } }, async (request) => ({
      ended: await endUserSessions(deps, request.auth!, request.params.id, requestClient(request)),
    }));

    app.get<{ Querystring: AuditQuerystring }>('/admin/audit', { schema: { querystring: auditQuerySchema, response: { 200: auditPageSchema } } }, async (request) => {
      const { limit, ...rest } = request.query;
      return listAuditEvents(deps, request.auth!, { ...rest, ...(limit !== undefined ? { limit: Number(limit) } : {}) });
    });

    app.get<{ Querystring: Omit<AuditQuerystring, 'limit' | 'cursor'> }>(
      '/admin/audit/export',
      { schema: { querystring: auditExportQuerySchema } },
      async (request, reply) => {
        requireAdminRole(request.auth!);
        const events = allAuditEvents(deps, request.auth!, request.query)[Symbol.asyncIterator]();
        // The first page is read before the headers go out, so a refused filter is a clean 4xx.
        const first = await events.next();
        async function* lines() {
          yield csvHeader();
          if (first.done) return;
          yield csvLine(first.value);
          for (let next = await events.next(); !next.done; next = await events.next()) yield csvLine(next.value);
        }
        const day = deps.clock.now().toISOString().slice(0, 10);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="keyward-audit-${request.auth!.instance.slug}-${day}.csv"`)
          .header('cache-control', 'no-store')
          .send(Readable.from(lines()));
      },
    );

    app.post('/admin/two-factor/requests', async (request) => askUsersToEnable(deps, request.auth!, requestClient(request)));

    app.get('/admin/two-factor/adoption', async (request) => twoFactorAdoption(deps, request.auth!));

    app.get('/admin/password-policy', { schema: { response: { 200: policySchema } } }, async (request) => {
      requireAdminRole(request.auth!);
      return request.auth!.instance.policy;
    });

    app.put<{ Body: PolicyPatchBody }>(
      '/admin/password-policy',
      { schema: { body: policyPatchSchema, response: { 200: policySchema } } },
      async (request) => {
        const { twoFactor, password } = request.body;
        const patch = {
          ...(twoFactor
            ? {
                twoFactor: {
                  ...twoFactor,
                  ...(twoFactor.enforceFrom !== undefined ? { enforceFrom: twoFactor.enforceFrom === null ? null : new Date(twoFactor.enforceFrom) } : {}),
                },
              }
            : {}),
          ...(password ? { password } : {}),
        } as PolicyPatch;
        return updatePasswordPolicy(deps, request.auth!, patch, requestClient(request));
      },
    );

    app.put<{ Body: { knownLocations: Partial<KnownLocationSettings> } }>(
      '/admin/instance-settings',
      { schema: { body: settingsBodySchema, response: { 200: settingsSchema } } },
      async (request) => ({ knownLocations: await updateKnownLocationSettings(deps, request.auth!, request.body.knownLocations, requestClient(request)) }),
    );
  };
}
