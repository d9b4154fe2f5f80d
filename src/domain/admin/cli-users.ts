import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { userEvent, type AuditActor } from '../audit/audit-event.ts';
import { getInstanceBySlug } from '../account/find-instance.ts';
import type { UserStatus } from '../account/user.ts';
import { listInstanceUsers, type UserList, type UserListQuery } from './list-users.ts';
import { tellAboutStatus } from './manage-users.ts';

/** `keyward user list SLUG`: one page of the Users list, as GET /admin/users answers it. */
export async function listUsersFromCli(deps: Deps, instanceSlug: string, query: UserListQuery): Promise<UserList> {
  return listInstanceUsers(deps, await getInstanceBySlug(deps, instanceSlug), query);
}

/**
 * `keyward user disable|enable SLUG EMAIL`: as the admin's PATCH does it (sessions end at once,
 * audited with the CLI as actor, the user emailed), behind the same lock of the administrators'
 * rows, so the command cannot disable the instance's last active administrator (403 `forbidden`).
 */
export async function setUserStatusFromCli(
  deps: Deps,
  input: { instanceSlug: string; email: string; status: UserStatus },
  actor: AuditActor,
) {
  const instance = await getInstanceBySlug(deps, input.instanceSlug);
  const result = await deps.stores.transaction(async (stores) => {
    const users = stores.forInstance(instance.id).users;
    const found = await users.findByEmail(input.email);
    if (!found) throw new DomainError('not_found', `No user ${input.email.trim()} in instance ${instance.slug}.`, { field: 'email' });
    const admins = await users.lockActiveAdmins();
    if (input.status === 'disabled' && admins.length === 1 && admins[0] === found.id)
      throw new DomainError('forbidden', 'This is the instance’s last active administrator: make another one first.');
    const before = await users.lockById(found.id);
    const updated = await users.update(found.id, { status: input.status });
    if (!before || !updated) throw new DomainError('not_found', `No user ${input.email.trim()} in instance ${instance.slug}.`);
    if (before.status !== updated.status) {
      const action = updated.status === 'disabled' ? 'user.disabled' : 'user.enabled';
      await stores.audit.record([userEvent(deps.clock.now(), action, instance.id, updated, { ip: null, userAgent: null }, {}, actor)]);
      await tellAboutStatus({ ...deps, stores }, instance, updated);
    }
    return updated;
  });
  deps.mailQueued();
  return { id: result.id, email: result.email, name: result.name, role: result.role, status: result.status };
}
