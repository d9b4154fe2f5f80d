import { adminEvent, type AuditClient } from '../audit/audit-event.ts';
import { DomainError } from '../shared/errors.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Deps } from '../shared/deps.ts';
import { requireAdminAccess } from '../instance/require-admin.ts';
import type { AdminCaller } from '../oidc/machine-access.ts';
import { RESET_INTERVAL_SECONDS, sendInvitation } from '../account/password-links.ts';

/**
 * POST /admin/users/{id}/invitation: a new invitation (link and login address) for a user who has
 * not chosen a password yet; the earlier link stops working (issuing replaces it). 409 `conflict`
 * once the user has a password (they use "Forgot your password?"); 429 `rate_limited` within five
 * minutes of the last invitation, as reset links are limited (RL-09): a mailbox is not flooded.
 */
export async function resendInvitation(deps: Deps, active: AdminCaller, id: string, client: AuditClient): Promise<void> {
  requireAdminAccess(deps, active, 'keyward:users:write', true);
  await deps.stores.transaction(async (stores) => {
    const users = stores.forInstance(active.instance.id).users;
    const user = await users.lockById(id);
    if (!user) throw new DomainError('not_found', 'No such user in this instance.');
    if (user.status !== 'active') throw new DomainError('conflict', 'This user is disabled: enable the account first.', { field: 'id' });
    if (await users.hasPassword(id)) throw new DomainError('conflict', 'This user has already chosen a password.', { field: 'id' });
    const now = deps.clock.now();
    const last = await stores.accountTokens.lastIssuedAt(id, 'invitation');
    const nextAt = last ? addSeconds(last, RESET_INTERVAL_SECONDS) : null;
    if (nextAt && nextAt.getTime() > now.getTime()) {
      throw new DomainError('rate_limited', 'An invitation was sent a moment ago.', {
        retryAfterSeconds: (nextAt.getTime() - now.getTime()) / 1000,
      });
    }
    await sendInvitation({ ...deps, stores }, active.instance, user);
    await stores.audit.record([adminEvent(deps, active, 'invitation.resent', user, client)]);
  });
}
