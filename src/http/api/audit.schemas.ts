import { AUDIT_ACTIONS } from '../../domain/audit/audit-event.ts';

/**
 * An audit event as the API answers it (docs/recovery-and-audit.md): what SPEC §1 says an event
 * records, "actor, action, target, instance, time, IP, user agent, details". `instanceId` is null
 * only for a support operator's own events (logins, step-ups), which belong to no instance; an
 * operator's trail (GET /support/activity) names the instance of each reset with it.
 */
export const auditEventSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'instanceId', 'at', 'action', 'actor', 'target', 'ip', 'userAgent', 'details'],
  properties: {
    id: { type: 'string' },
    instanceId: { type: ['string', 'null'] },
    at: { type: 'string', format: 'date-time' },
    action: { type: 'string', enum: AUDIT_ACTIONS },
    actor: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'id', 'label'],
      properties: {
        type: { type: 'string', enum: ['user', 'operator', 'cli', 'system', 'oidc_client'] },
        id: { type: ['string', 'null'] },
        label: { type: 'string' },
      },
    },
    target: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['id', 'label'],
      properties: { id: { type: 'string' }, label: { type: 'string' } },
    },
    ip: { type: ['string', 'null'] },
    userAgent: { type: ['string', 'null'] },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

export const auditPageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['events', 'nextCursor'],
  properties: { events: { type: 'array', items: auditEventSchema }, nextCursor: { type: ['string', 'null'] } },
} as const;

export const activitySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: { events: { type: 'array', items: auditEventSchema } },
} as const;

const filterProperties = {
  action: { type: 'string', enum: [...AUDIT_ACTIONS] },
  userId: { type: 'string', minLength: 1, maxLength: 64 },
  /** ISO 8601 times with a zone: events at or after `from`, before `to` (checked in read-audit.ts). */
  from: { type: 'string', maxLength: 40 },
  to: { type: 'string', maxLength: 40 },
} as const;

export const auditQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...filterProperties,
    limit: { type: 'string', pattern: '^[0-9]{1,3}$' },
    cursor: { type: 'string', maxLength: 20 },
  },
} as const;

export const auditExportQuerySchema = { type: 'object', additionalProperties: false, properties: filterProperties } as const;

export const resetBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 500 } },
} as const;
