import { sql, type Insertable, type Kysely, type QueryCreator, type Selectable } from 'kysely';
import type { AuditStore } from '../domain/audit/audit-store.ts';
import type { AuditAction, AuditEvent, NewAuditEvent } from '../domain/audit/audit-event.ts';
import type { AuditEventsTable, Database } from './schema.ts';
import { insertRows, type Cte } from './cte.ts';

/** An audit event as its row (schema.ts); its details as JSON text (a prepared query's parameter, prepared.ts). */
export function auditRow(e: NewAuditEvent): Insertable<AuditEventsTable> {
  return {
    instance_id: e.instanceId,
    at: e.at,
    action: e.action,
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    actor_label: e.actor.label,
    target_id: e.target?.id ?? null,
    target_label: e.target?.label ?? null,
    ip: e.ip,
    user_agent: e.userAgent,
    details: JSON.stringify(e.details),
  };
}

/**
 * `insert into audit_events …` for a CTE of the statement that makes the change, so the event
 * exists exactly when the change does; with `gate` (a CTE of that statement), only when the gate
 * returned a row. With no events, a part that does nothing.
 */
export function insertAudit(qb: QueryCreator<Database>, events: readonly NewAuditEvent[] | undefined, gate: Cte | null) {
  return insertAuditRows(qb, (events ?? []).map(auditRow), gate);
}

/** insertAudit of events already made rows (auditRow): for a prepared query, whose build must not stringify a parameter. */
export function insertAuditRows(qb: QueryCreator<Database>, rows: readonly Insertable<AuditEventsTable>[], gate: Cte | null) {
  return insertRows(qb, 'audit_events', rows, gate, { at: 'timestamptz', details: 'jsonb' });
}

type AuditRow = Selectable<AuditEventsTable>;

function toEvent(row: AuditRow): AuditEvent {
  const details =
    typeof row.details === 'string'
      ? (JSON.parse(row.details) as Record<string, unknown>)
      : ((row.details ?? {}) as Record<string, unknown>);
  return {
    id: String(row.id),
    instanceId: row.instance_id,
    at: row.at,
    action: row.action as AuditAction,
    actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label },
    target: row.target_id !== null ? { id: row.target_id, label: row.target_label ?? '' } : null,
    ip: row.ip,
    userAgent: row.user_agent,
    details,
  };
}

export function auditStore(db: Kysely<Database>): AuditStore {
  return {
    async record(events) {
      if (events.length > 0) await insertAudit(db, events, null).execute();
    },
    async list(instanceId, query) {
      let select = db.selectFrom('audit_events').selectAll().where('instance_id', '=', instanceId);
      if (query.action) select = select.where('action', '=', query.action);
      // An OR of two indexed conditions: the planner unions the target and actor indexes.
      if (query.userId) select = select.where((eb) => eb.or([eb('target_id', '=', query.userId!), eb('actor_id', '=', query.userId!)]));
      if (query.before) select = select.where(sql<boolean>`id < ${query.before}::bigint`);
      // A date range filters the same keyset walk (newest first on id), so pages stay on the index.
      if (query.from) select = select.where('at', '>=', query.from);
      if (query.to) select = select.where('at', '<', query.to);
      const rows = await select
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
      return rows.map(toEvent);
    },
    async listOldestFirst(instanceId, query) {
      // The same index as the list (instance_id, id desc), walked the other way: keyset, never OFFSET.
      let select = db.selectFrom('audit_events').selectAll().where('instance_id', '=', instanceId);
      if (query.after) select = select.where(sql<boolean>`id > ${query.after}::bigint`);
      if (query.from) select = select.where('at', '>=', query.from);
      if (query.to) select = select.where('at', '<', query.to);
      const rows = await select.orderBy('id', 'asc').limit(query.limit).execute();
      return rows.map(toEvent);
    },
    async listForOperator(operatorId, limit) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('actor_type', '=', 'operator')
        .where('actor_id', '=', operatorId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEvent);
    },
  };
}
