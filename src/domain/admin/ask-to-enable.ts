import { adminEvent, type AuditClient } from '../audit/audit-event.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { requireAdmin } from '../instance/require-admin.ts';
import { twoFactorRequestMail } from '../mail/templates.ts';
import { loginUrl } from '../mail/templates.ts';

/**
 * "Ask users to enable 2FA" (SPEC rule 1): on any plan an administrator can ask, never switch it on
 * for them. Emails every active user whose status is off, at most once a day each, in one
 * statement however many users there are. The mail holds no secret, so it is queued unsealed.
 */
export async function askUsersToEnable(deps: Deps, active: ActiveSession, client: AuditClient): Promise<{ emailed: number }> {
  requireAdmin(deps, active);
  if (active.instance.policy.twoFactor.autoEnable) return { emailed: 0 };
  const now = deps.clock.now();
  const mail = twoFactorRequestMail({
    instanceName: active.instance.name,
    adminName: active.user.name,
    loginUrl: loginUrl(deps.publicUrl, active.instance.slug),
  });
  const emailed = await deps.stores.transaction(async (stores) => {
    const n = await stores
      .forInstance(active.instance.id)
      .directory.requestTwoFactor(mail, now, new Date(now.getTime() - 24 * 60 * 60 * 1000));
    await stores.audit.record([adminEvent(deps, active, 'two_factor.requested', null, client, { emailed: n })]);
    return n;
  });
  if (emailed > 0) deps.mailQueued();
  return { emailed };
}
