import type { Deps } from '../shared/deps.ts';
import { getInstanceBySlug } from '../account/find-instance.ts';
import { invalidInput } from '../shared/errors.ts';
import type { AuditEvent } from './audit-event.ts';
import { parseInstant } from './read-audit.ts';

/** Events read per page of `keyward audit export`. */
export const AUDIT_EXPORT_PAGE_SIZE = 1000;

export interface AuditExportInput {
  instanceSlug: string;
  /** ISO time with a zone: events at or after it. */
  since?: string;
  /** ISO time with a zone: events before it. */
  until?: string;
}

/**
 * An event as one line of the export: the fields and names of the API's audit list
 * (GET /api/v1/admin/audit, http/api/audit.schemas.ts), in that order, so an archive reads the
 * same as the API.
 */
export function auditJsonLine(event: AuditEvent): string {
  const { id, instanceId, at, action, actor, target, ip, userAgent, details } = event;
  return `${JSON.stringify({ id, instanceId, at: at.toISOString(), action, actor, target, ip, userAgent, details })}\n`;
}

/**
 * `keyward audit export`: the instance's events in the range, oldest first, a page at a time
 * (keyset on the instance's id index), each page handed to `write` as JSON Lines and awaited
 * before the next is read, so memory holds one page whatever the log's size. Returns how many.
 * The unknown slug is `not_found`; a bad time or an empty range `invalid_request`.
 */
export async function exportAuditEvents(
  deps: Deps,
  input: AuditExportInput,
  write: (text: string) => Promise<void>,
  pageSize = AUDIT_EXPORT_PAGE_SIZE,
): Promise<{ instance: string; exported: number }> {
  const from = parseInstant(input.since, 'since');
  const to = parseInstant(input.until, 'until');
  if (from && to && from.getTime() >= to.getTime()) throw invalidInput('until', 'The end of the range must come after its start.');
  const instance = await getInstanceBySlug(deps, input.instanceSlug);
  let exported = 0;
  let after: string | undefined;
  for (;;) {
    const page = await deps.stores.audit.listOldestFirst(instance.id, {
      limit: pageSize,
      ...(after ? { after } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    });
    if (page.length > 0) await write(page.map(auditJsonLine).join(''));
    exported += page.length;
    if (page.length < pageSize) return { instance: instance.slug, exported };
    after = page[page.length - 1]!.id;
  }
}
