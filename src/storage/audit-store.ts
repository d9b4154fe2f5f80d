import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { AuditStore } from '../domain/audit/audit-store.ts';
import type { AuditAction, AuditEvent, NewAuditEvent } from '../domain/audit/audit-event.ts';
import type { AuditEventsTable, Database } from './schema.ts';

/**
 * `insert into audit_events …` for a CTE of the statement that makes the change, so the event
 * exists exactly when the change does; with `onlyIf` (a CTE name), only when that CTE returned a
 * row. With no events, a statement that does nothing.
 */
export function insertAudit(events: readonly NewAuditEvent[] | undefined, onlyIf?: string) {
  return onlyIf ? insertAuditWhere(events, sql<boolean>`exists (select 1 from ${sql.table(onlyIf)})`) : insertAuditWhere(events, null);
}

/** As insertAudit, written only when `condition` holds (null: always). */
export function insertAuditWhere(events: readonly NewAuditEvent[] | undefined, condition: RawBuilder<boolean> | null) {
  if (!events || events.length === 0) return sql`select 1 where false`;
  const rows = events.map(
    (
      e,
    ) => sql`(${e.instanceId}::text, ${e.at}::timestamptz, ${e.action}::text, ${e.actor.type}::text, ${e.actor.id}::text, ${e.actor.label}::text,
               ${e.target?.id ?? null}::text, ${e.target?.label ?? null}::text, ${e.ip}::text, ${e.userAgent}::text, ${JSON.stringify(e.details)}::jsonb)`,
  );
  const columns = sql`(instance_id, at, action, actor_type, actor_id, actor_label, target_id, target_label, ip, user_agent, details)`;
  return condition
    ? sql`insert into audit_events ${columns} select v.* from (values ${sql.join(rows)}) as v where ${condition}`
    : sql`insert into audit_events ${columns} values ${sql.join(rows)}`;
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
      if (events.length > 0) await insertAudit(events).execute(db);
    },
    async list(instanceId, query) {
      let select = db.selectFrom('audit_events').selectAll().where('instance_id', '=', instanceId);
      if (query.action) select = select.where('action', '=', query.action);
      // An OR of two indexed conditions: the planner unions the target and actor indexes.
      if (query.userId) select = select.where((eb) => eb.or([eb('target_id', '=', query.userId!), eb('actor_id', '=', query.userId!)]));
      if (query.before) select = select.where(sql<boolean>`id < ${query.before}::bigint`);
      const rows = await select
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
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
