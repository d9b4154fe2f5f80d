import type { AuditAction, AuditEvent, NewAuditEvent } from './audit-event.ts';

export interface AuditQuery {
  limit: number;
  /** The id of the last event of the previous page (keyset, newest first). */
  before?: string;
  action?: AuditAction;
  /** Events whose actor or target is this user. */
  userId?: string;
  /** Events at or after this instant. */
  from?: Date;
  /** Events before this instant. */
  to?: Date;
}

/** A page of an instance's events oldest first (the archive export). */
export interface AuditExportQuery {
  limit: number;
  /** The id of the last event of the previous page (keyset, oldest first). */
  after?: string;
  /** Events at or after this instant. */
  from?: Date;
  /** Events before this instant. */
  to?: Date;
}

/**
 * The append-only audit log. The login steps' events are written by the statement that makes the
 * change (each such store method takes an `audit` list); `record` is for the rest, in the
 * transaction of the change (the cold paths: reset, disable, password change, links).
 */
export interface AuditStore {
  record(events: NewAuditEvent[]): Promise<void>;
  /** Events of one instance, newest first; `limit + 1` are read so the caller knows if more exist. */
  list(instanceId: string, query: AuditQuery): Promise<AuditEvent[]>;
  /** Events of one instance, oldest first (by id), at most `limit`, after the cursor `after`. */
  listOldestFirst(instanceId: string, query: AuditExportQuery): Promise<AuditEvent[]>;
  /**
   * Events whose actor is this operator, newest first, at most `limit`: their own events outside
   * every instance (logins, step-ups) and their resets, which are events of the instance
   * concerned. Why both: GET /support/activity shows an operator what was done in their name,
   * resets included (docs/recovery-and-audit.md); an instance's list never shows events outside it.
   */
  listForOperator(operatorId: string, limit: number): Promise<AuditEvent[]>;
}
