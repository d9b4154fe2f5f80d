import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { requireAdmin, requireAdminRole } from '../instance/require-admin.ts';
import type { MailLogEntry } from './mail-log-store.ts';

/** Admins see their instance's undelivered and dead mail (bodies stay sealed: they may hold codes). */
export async function listMail(deps: Deps, active: ActiveSession, status: MailLogEntry['status'] | null): Promise<MailLogEntry[]> {
  requireAdminRole(active);
  return deps.stores.forInstance(active.instance.id).mail.list(status, 200);
}

export async function retryMail(deps: Deps, active: ActiveSession, id: number): Promise<void> {
  requireAdmin(deps, active);
  if (!(await deps.stores.forInstance(active.instance.id).mail.retry(id, deps.clock.now()))) {
    throw new DomainError('not_found', 'No such undeliverable mail.');
  }
  deps.mailQueued();
}
