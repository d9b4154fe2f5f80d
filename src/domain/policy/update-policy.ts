import { adminEvent, changedFields, type AuditClient } from '../audit/audit-event.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { requireAdmin } from '../instance/require-admin.ts';
import { applyPolicyPatch, type PasswordPolicy, type PolicyPatch } from './policy.ts';

/**
 * PUT /admin/password-policy: parts left out keep their values. Turning auto-enable on is one
 * row for any number of users (the effective state is derived at login and in lists).
 */
export async function updatePasswordPolicy(
  deps: Deps,
  active: ActiveSession,
  patch: PolicyPatch,
  client: AuditClient,
): Promise<PasswordPolicy> {
  requireAdmin(deps, active);
  // Checked early, so a refused patch costs no transaction; checked again below on the locked row.
  applyPolicyPatch(active.instance.policy, patch, active.instance.plan);
  return deps.stores.transaction(async (stores) => {
    // Why the row lock and a fresh read: a plan change (change-plan.ts) locks this row too, so a
    // policy computed from the session's older plan can never write Enterprise rules after the
    // instance went down (OWASP ASVS 5.0 V2.3: business logic holds under concurrent requests).
    const instance = (await stores.instances.lockBySlug(active.instance.slug)) ?? active.instance;
    const next = applyPolicyPatch(instance.policy, patch, instance.plan);
    const changes = changedFields(instance.policy, next);
    await stores.instances.updatePolicy(instance.id, next);
    if (Object.keys(changes.after).length > 0)
      await stores.audit.record([adminEvent(deps, active, 'policy.updated', null, client, changes)]);
    return next;
  });
}
