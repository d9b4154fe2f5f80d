/** An audit event as the API answers it (docs/recovery-and-audit.md), for test assertions. */
export interface EventJson {
  id: string;
  /** The instance the event belongs to; null only for a support operator's own events. */
  instanceId: string | null;
  action: string;
  actor: { type: string; id: string | null; label: string };
  target: { id: string; label: string } | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}
