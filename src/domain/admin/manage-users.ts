import { adminEvent, type AuditClient } from '../audit/audit-event.ts';
import { randomId } from '../../crypto/random.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { requireAdmin } from '../instance/require-admin.ts';
import { parseEmail, parsePersonName, parseRole, type User } from '../account/user.ts';
import { sendInvitation } from '../account/password-links.ts';
import { describeTwoFactor } from '../account/describe-me.ts';
import type { UserListItem } from './list-users.ts';

function item(active: ActiveSession, user: User, associated: boolean): UserListItem {
  return { id: user.id, email: user.email, name: user.name, role: user.role, status: user.status, twoFactor: describeTwoFactor(active.instance.policy, user, associated) };
}

/** POST /admin/users: a user without a password, and an invitation to choose one (7 days, once). */
export async function inviteUser(deps: Deps, active: ActiveSession, input: { email: string; name: string; role: string }, client: AuditClient): Promise<UserListItem> {
  requireAdmin(deps, active);
  const user = await deps.stores.transaction(async (stores) => {
    const created = await stores.forInstance(active.instance.id).users.insert({
      id: randomId(),
      email: parseEmail(input.email),
      name: parsePersonName(input.name),
      role: parseRole(input.role),
      passwordHash: null,
      passwordChangedAt: null,
    });
    await sendInvitation({ ...deps, stores }, active.instance, created);
    await stores.audit.record([adminEvent(deps, active, 'user.invited', created, client, { role: created.role })]);
    return created;
  });
  return item(active, user, false);
}

/**
 * PATCH /admin/users/{id}: role and status. Disabling ends the user's sessions at once (SES-08).
 * Not on one's own account: an admin cannot lock themselves out or demote the last admin by mistake.
 */
export async function updateUser(
  deps: Deps,
  active: ActiveSession,
  id: string,
  input: { role?: string; status?: 'active' | 'disabled' },
  client: AuditClient,
): Promise<UserListItem> {
  requireAdmin(deps, active);
  if (id === active.user.id) throw new DomainError('forbidden', 'Ask another administrator to change your own account.');
  const change = { ...(input.role !== undefined ? { role: parseRole(input.role) } : {}), ...(input.status !== undefined ? { status: input.status } : {}) };
  return deps.stores.transaction(async (stores) => {
    const users = stores.forInstance(active.instance.id).users;
    const account = await users.findAccount(id);
    const before = account?.user;
    const updated = before ? await users.update(id, change) : null;
    if (!before || !updated) throw new DomainError('not_found', 'No such user in this instance.');
    const events = [];
    if (before.role !== updated.role) events.push(adminEvent(deps, active, 'user.role_changed', updated, client, { from: before.role, to: updated.role }));
    if (before.status !== updated.status) events.push(adminEvent(deps, active, updated.status === 'disabled' ? 'user.disabled' : 'user.enabled', updated, client));
    await stores.audit.record(events);
    return item(active, updated, Boolean(account?.totp));
  });
}
