import { adminEvent, userEvent, type AuditClient } from '../audit/audit-event.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { requireAdminAccess } from '../instance/require-admin.ts';
import { isMachine, type AdminCaller } from '../oidc/machine-access.ts';
import { mailActor } from '../admin/manage-users.ts';
import { deviceLabel, networkOf } from '../known-location/known-location.ts';
import { loginUrl, sessionsEndedMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import type { ActiveSession, ListedSession } from './session-store.ts';

/**
 * At most this many sessions are listed (the current one always among them): a user cannot have
 * more full sessions than logins in 12 hours, and "End all other sessions" reaches any beyond.
 */
export const MAX_LISTED_SESSIONS = 50;

/** A session as My Profile → Sessions shows it: the device and the network, never the address. */
export interface SessionView {
  id: string;
  device: string;
  network: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  current: boolean;
  secondFactorVerified: boolean;
}

/** The sessions read with the user's own session lookup (requireFullSession with the list). */
export function listSessions(deps: Deps, active: ActiveSession): { sessions: SessionView[]; more: boolean } {
  const listed = active.userSessions ?? [];
  const shown = listed.slice(0, MAX_LISTED_SESSIONS);
  return { sessions: shown.map((s) => view(s, deps.clock.now())), more: listed.length > MAX_LISTED_SESSIONS };
}

function view(session: ListedSession, now: Date): SessionView {
  return {
    id: session.handle,
    device: deviceLabel(session.userAgent),
    // Why the network only: the list is for recognising one's devices; the full address stays
    // in the audit log for administrators (data minimisation, GDPR Art. 5(1)(c)).
    network: networkOf(session.ip),
    createdAt: session.createdAt,
    // The lookup that read the list is a use of the current session right now.
    lastUsedAt: session.current ? now : session.lastSeenAt,
    expiresAt: session.expiresAt,
    current: session.current,
    secondFactorVerified: session.secondFactorAt !== null,
  };
}

/**
 * DELETE /me/sessions/{id}: ends one of the user's own sessions. Why no step-up: ending a session
 * only takes access away, and the owner must be able to cut off a thief at once (ASVS 5.0
 * V7.5.2); the stolen session can end the owner's too, but only a password change (which needs
 * a fresh code, rule 12) ends them all. Another user's, another instance's or an unknown id is 404.
 */
export async function endSession(deps: Deps, active: ActiveSession, handle: string, client: AuditClient): Promise<{ current: boolean }> {
  return deps.stores.transaction(async (stores) => {
    const ended = await stores.forInstance(active.instance.id).sessions.deleteByHandle(active.user.id, handle);
    if (!ended) throw new DomainError('not_found', 'No such session.');
    const current = ended.id === active.session.id;
    const details = { device: deviceLabel(ended.userAgent), network: networkOf(ended.ip), current };
    await stores.audit.record([userEvent(deps.clock.now(), 'session.ended', active.instance.id, active.user, client, details)]);
    return { current };
  });
}

/** DELETE /me/sessions: ends every other session of the user (pending logins included); this one stays. */
export async function endOtherSessions(deps: Deps, active: ActiveSession, client: AuditClient): Promise<number> {
  return deps.stores.transaction(async (stores) => {
    const count = await stores.forInstance(active.instance.id).sessions.deleteForUser(active.user.id, active.session.id);
    if (count > 0)
      await stores.audit.record([userEvent(deps.clock.now(), 'session.others_ended', active.instance.id, active.user, client, { count })]);
    return count;
  });
}

/**
 * DELETE /admin/users/{id}/sessions: an administrator logs a user of the instance out everywhere
 * (Keycloak's "Sign out", GitLab's "Revoke"). An admin action, so step-up first (rule 12). The
 * admin's own account keeps the session that asked. The user is emailed (NTF-01: security
 * changes made by someone else are told to the account's owner); event, sessions and mail commit
 * together. Known locations stay: logging in again still needs the password.
 */
export async function endUserSessions(deps: Deps, active: AdminCaller, userId: string, client: AuditClient): Promise<number> {
  requireAdminAccess(deps, active, 'keyward:users:write', true);
  const tenant = deps.stores.forInstance(active.instance.id);
  const target = await tenant.users.findById(userId);
  if (!target) throw new DomainError('not_found', 'No such user in this instance.');
  const self = !isMachine(active) && target.id === active.user.id;
  const now = deps.clock.now();
  const count = await deps.stores.transaction(async (stores) => {
    const ended = await stores
      .forInstance(active.instance.id)
      .sessions.deleteForUser(target.id, self && !isMachine(active) ? active.session.id : undefined);
    await stores.audit.record([
      adminEvent(deps, active, 'session.ended_by_admin', target, client, { count: ended, ...(self ? { keptCurrent: true } : {}) }),
    ]);
    if (!self) {
      const mail = sessionsEndedMail({
        to: target.email,
        name: target.name,
        instanceName: active.instance.name,
        at: now,
        ip: client.ip,
        admin: mailActor(active),
        loginUrl: loginUrl(deps.publicUrl, active.instance.slug),
      });
      await stores.outbox.enqueue(active.instance.id, sealMail(deps.secretBox, mail), now);
    }
    return ended;
  });
  if (!self) deps.mailQueued();
  return count;
}
