import { adminEvent, type AuditClient } from '../audit/audit-event.ts';
import { randomId } from '../../crypto/random.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { requireAdminAccess } from '../instance/require-admin.ts';
import { isMachine, type AdminCaller } from '../oidc/machine-access.ts';
import { parseEmail, parsePersonName, parseRole, type User } from '../account/user.ts';
import { sendInvitation } from '../account/password-links.ts';
import { describeTwoFactor } from '../account/describe-me.ts';
import type { UserListItem } from './list-users.ts';
import type { Instance } from '../instance/instance.ts';
import { helpFor } from '../support/support-contact.ts';
import { accountStatusMail, emailChangedMail, instanceLoginUrl, roleChangedMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';

function item(active: AdminCaller, user: User, associated: boolean, invited: boolean): UserListItem {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    status: user.status,
    invited,
    twoFactor: describeTwoFactor(active.instance.policy, user, associated),
  };
}

/** POST /admin/users: a user without a password, and an invitation to choose one (7 days, once). */
export async function inviteUser(
  deps: Deps,
  active: AdminCaller,
  input: { email: string; name: string; role: string },
  client: AuditClient,
): Promise<UserListItem> {
  requireAdminAccess(deps, active, 'keyward:users:write', true);
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
  return item(active, user, false, true);
}

/**
 * PATCH /admin/users/{id}: role, status, name and email. Disabling ends the user's sessions at
 * once (SES-08). Not on one's own account: an admin cannot lock themselves out or demote the last
 * admin by mistake. Each change is audited; a disable or enable and an email change are mailed to
 * the user (the old address for the email), in the same transaction.
 */
export async function updateUser(
  deps: Deps,
  active: AdminCaller,
  id: string,
  input: { role?: string; status?: 'active' | 'disabled'; name?: string; email?: string },
  client: AuditClient,
): Promise<UserListItem> {
  requireAdminAccess(deps, active, 'keyward:users:write', true);
  const self = isMachine(active) ? null : active.user.id;
  if (id === self) throw new DomainError('forbidden', 'Ask another administrator to change your own account.');
  const change = {
    ...(input.role !== undefined ? { role: parseRole(input.role) } : {}),
    ...(input.status !== undefined ? { status: input.status } : {}),
    ...(input.name !== undefined ? { name: parsePersonName(input.name) } : {}),
    ...(input.email !== undefined ? { email: parseEmail(input.email) } : {}),
  };
  const result = await deps.stores.transaction(async (stores) => {
    const users = stores.forInstance(active.instance.id).users;
    await requireAnotherAdmin(users, self, id);
    const account = await users.findAccount(id);
    const before = account?.user;
    const updated = before ? await users.update(id, change) : null;
    if (!before || !updated) throw new DomainError('not_found', 'No such user in this instance.');
    const tx = { ...deps, stores };
    const events = [];
    if (before.role !== updated.role) {
      events.push(adminEvent(deps, active, 'user.role_changed', updated, client, { from: before.role, to: updated.role }));
      await tellAboutRoleChange(tx, active, before, updated, client);
    }
    if (before.status !== updated.status) {
      events.push(adminEvent(deps, active, updated.status === 'disabled' ? 'user.disabled' : 'user.enabled', updated, client));
      await tellAboutStatus(tx, active.instance, updated);
    }
    const renamed = before.name !== updated.name;
    const moved = before.email !== updated.email;
    if (renamed || moved) {
      const changed = [...(renamed ? ['name'] : []), ...(moved ? ['email'] : [])];
      const from = { ...(renamed ? { name: before.name } : {}), ...(moved ? { email: before.email } : {}) };
      const to = { ...(renamed ? { name: updated.name } : {}), ...(moved ? { email: updated.email } : {}) };
      events.push(adminEvent(deps, active, 'user.updated', updated, client, { changed, from, to }));
    }
    // The email is the login name and where every notice goes: the old mailbox hears of the move
    // (OWASP ASVS 5.0 6.3.7: users are told of changes to their authentication details).
    if (moved)
      await queueMail(
        tx,
        active,
        emailChangedMail({
          to: before.email,
          name: updated.name,
          instanceName: active.instance.name,
          newEmail: updated.email,
          at: deps.clock.now(),
        }),
      );
    await stores.audit.record(events);
    return item(active, updated, Boolean(account?.totp), updated.invited);
  });
  deps.mailQueued();
  return result;
}

/**
 * Why under a lock: the caller's role was read with the session, before this transaction; two
 * admins demoting, disabling or deleting each other at once would both pass and leave no admin.
 * The caller must still be an active admin other than the target, so one always remains (OWASP
 * ASVS 5.0 V2.3: business logic holds under concurrent requests). A machine client is no
 * administrator of its own: another active administrator than the target must remain, so no
 * token can leave the instance without one.
 */
export async function requireAnotherAdmin(
  users: { lockActiveAdmins(): Promise<string[]> },
  self: string | null,
  target: string,
): Promise<void> {
  const admins = await users.lockActiveAdmins();
  if (!admins.some((adminId) => (self === null || adminId === self) && adminId !== target)) {
    throw new DomainError('forbidden', 'Only administrators can do this.');
  }
}

async function queueMail(deps: Deps, active: AdminCaller, mail: Parameters<typeof sealMail>[1]): Promise<void> {
  await deps.stores.outbox.enqueue(active.instance.id, sealMail(deps.secretBox, mail), deps.clock.now());
}

/** A disabled user learns why they cannot log in, and an enabled one that they can again (issue 13). */
export async function tellAboutStatus(deps: Deps, instance: Instance, user: User): Promise<void> {
  const mail = accountStatusMail({
    to: user.email,
    name: user.name,
    instanceName: instance.name,
    status: user.status,
    at: deps.clock.now(),
    loginUrl: instanceLoginUrl(deps.publicUrl, instance.slug),
    help: helpFor(user.role, deps.supportContact),
  });
  await deps.stores.outbox.enqueue(instance.id, sealMail(deps.secretBox, mail), deps.clock.now());
}

/**
 * Someone became or stopped being an administrator: the other administrators and the user are
 * told, through the outbox in the same transaction (issue 10 item 2: a role is one PATCH away
 * from the rules that depend on it, so a change nobody hears of is a silent escalation).
 */
async function tellAboutRoleChange(deps: Deps, active: AdminCaller, before: User, after: User, client: AuditClient): Promise<void> {
  const now = deps.clock.now();
  const admins = await deps.stores.forInstance(active.instance.id).users.listAdmins(100);
  const recipients = [...admins.filter((admin) => (isMachine(active) || admin.id !== active.user.id) && admin.id !== after.id), after];
  for (const to of recipients) {
    const mail = roleChangedMail({
      to: to.email,
      name: to.name,
      instanceName: active.instance.name,
      at: now,
      ip: client.ip,
      actor: mailActor(active),
      target: after,
      from: before.role,
      role: after.role,
    });
    await deps.stores.outbox.enqueue(active.instance.id, sealMail(deps.secretBox, mail), now);
  }
}

/** Who made a change, as a mail names them: an administrator, or an application (its name and client id). */
export function mailActor(active: AdminCaller): { name: string; email: string } {
  return isMachine(active) ? { name: `the application ${active.client.name}`, email: `client ID ${active.client.clientId}` } : active.user;
}
