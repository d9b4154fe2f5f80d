/** An audit event as the API answers it (docs/recovery-and-audit.md), for test assertions. */
export interface EventJson {
  id: string;
  action: string;
  actor: { type: string; id: string | null; label: string };
  target: { id: string; label: string } | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}
