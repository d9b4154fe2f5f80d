import { invalidInput } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { requireAdminAccess } from '../instance/require-admin.ts';
import type { AdminCaller } from '../oidc/machine-access.ts';
import { AUDIT_ACTIONS, type AuditAction, type AuditEvent } from './audit-event.ts';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;
/** How many of their own events a user sees in My Profile. */
export const OWN_ACTIVITY_LIMIT = 20;

export interface AuditFilter {
  action?: string;
  userId?: string;
  /** ISO time: events at or after it. */
  from?: string;
  /** ISO time: events before it. */
  to?: string;
}

type ParsedFilter = { action?: AuditAction; userId?: string; from?: Date; to?: Date };

function parseFilter(filter: AuditFilter): ParsedFilter {
  if (filter.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(filter.action))
    throw invalidInput('action', 'Unknown action.');
  const from = parseInstant(filter.from, 'from');
  const to = parseInstant(filter.to, 'to');
  if (from && to && from.getTime() >= to.getTime()) throw invalidInput('to', 'The end of the range must come after its start.');
  return {
    ...(filter.action ? { action: filter.action as AuditAction } : {}),
    ...(filter.userId ? { userId: filter.userId } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/** An ISO 8601 time with a zone ("2026-12-01T00:00:00Z", "…+01:00"), or undefined when absent. */
export function parseInstant(value: string | undefined, field: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime())) throw invalidInput(field, 'Give a time such as 2026-12-01T00:00:00Z.');
  return at;
}

/** The cursor is the id of the last event shown: keyset pages on (instance_id, id), newest first. */
function parseCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[1-9][0-9]{0,17}$/.test(cursor)) throw invalidInput('cursor', 'That cursor is not valid.');
  return cursor;
}

/** GET /admin/audit: the instance's events, newest first, by pages. Only ever this instance's (TEN-01). */
export async function listAuditEvents(
  deps: Deps,
  active: AdminCaller,
  query: AuditFilter & { limit?: number; cursor?: string },
): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  requireAdminAccess(deps, active, 'keyward:audit:read', false);
  const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX)
    throw invalidInput('limit', `Use a page size from 1 to ${AUDIT_PAGE_MAX}.`);
  const before = parseCursor(query.cursor);
  const rows = await deps.stores.audit.list(active.instance.id, { ...parseFilter(query), limit, ...(before ? { before } : {}) });
  const events = rows.slice(0, limit);
  return { events, nextCursor: rows.length > limit ? events[events.length - 1]!.id : null };
}

/** Every event matching the filter, newest first, a page at a time (the CSV export). */
export async function* allAuditEvents(deps: Deps, active: AdminCaller, filter: AuditFilter): AsyncGenerator<AuditEvent> {
  requireAdminAccess(deps, active, 'keyward:audit:read', false);
  const parsed = parseFilter(filter);
  let before: string | undefined;
  for (;;) {
    const page = await deps.stores.audit.list(active.instance.id, { ...parsed, limit: 500, ...(before ? { before } : {}) });
    const events = page.slice(0, 500);
    yield* events;
    if (page.length <= 500) return;
    before = events[events.length - 1]!.id;
  }
}

/** GET /me/activity: the user's own recent security events, as actor or as target. */
export async function ownActivity(deps: Deps, active: ActiveSession): Promise<AuditEvent[]> {
  const rows = await deps.stores.audit.list(active.instance.id, { userId: active.user.id, limit: OWN_ACTIVITY_LIMIT });
  // Where an administrator or support acted from is theirs, not the user's to see.
  // (A failed sign-in has no verified actor: its address is shown, it is the user's to know.)
  const someoneElse = (event: AuditEvent) => event.actor.type !== 'user' || (event.actor.id !== null && event.actor.id !== active.user.id);
  return rows.slice(0, OWN_ACTIVITY_LIMIT).map((event) => (someoneElse(event) ? { ...event, ip: null, userAgent: null } : event));
}

const CSV_COLUMNS = ['time', 'action', 'actor_type', 'actor', 'target', 'ip', 'user_agent', 'details'] as const;

/**
 * One CSV cell. Why the quote prefix: a cell starting with = + - @ (or tab / CR) is run as a
 * formula by spreadsheet programs, and user agents and names are attacker-chosen (CSV injection,
 * OWASP). Every cell is quoted, so commas, quotes and line breaks stay inside it.
 */
export function csvCell(value: string | null): string {
  const text = value ?? '';
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvLine(event: AuditEvent): string {
  return (
    [
      event.at.toISOString(),
      event.action,
      event.actor.type,
      event.actor.label,
      event.target?.label ?? null,
      event.ip,
      event.userAgent,
      JSON.stringify(event.details),
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}
