import { adminEvent, type AuditClient } from '../audit/audit-event.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { requireAdminAccess } from '../instance/require-admin.ts';
import { isMachine, type AdminCaller } from '../oidc/machine-access.ts';
import { requireAnotherAdmin } from './manage-users.ts';

/**
 * DELETE /admin/users/{id}: the account and everything it owns (sessions, app, backup code, known
 * locations, links, password history). Its sessions end through the sessions' delete trigger,
 * which also ends the OIDC state made from them and queues back-channel logouts, as a disable or
 * an admin reset does. The audit log keeps the event (it has no foreign key to users). Not one's
 * own account (403 `cannot_delete_self`), and never the last active administrator (403 `forbidden`,
 * under the lock of the administrators' rows, as updateUser).
 */
export async function deleteUser(deps: Deps, active: AdminCaller, id: string, client: AuditClient): Promise<void> {
  requireAdminAccess(deps, active, 'keyward:users:write', true);
  const self = isMachine(active) ? null : active.user.id;
  // Why: an administrator deleting their own account by mistake locks themselves out at once,
  // and may take the instance's last administrator with them (OWASP ASVS 5.0 V2.3).
  if (id === self) throw new DomainError('cannot_delete_self', 'You cannot delete your own account. Ask another administrator.');
  await deps.stores.transaction(async (stores) => {
    const users = stores.forInstance(active.instance.id).users;
    await requireAnotherAdmin(users, self, id);
    const user = await users.lockById(id);
    if (!user || !(await users.delete(id))) throw new DomainError('not_found', 'No such user in this instance.');
    await stores.audit.record([adminEvent(deps, active, 'user.deleted', user, client, { email: user.email, role: user.role })]);
  });
}
