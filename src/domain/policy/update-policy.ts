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
  const next = applyPolicyPatch(active.instance.policy, patch, active.instance.plan);
  const changes = changedFields(active.instance.policy, next);
  await deps.stores.transaction(async (stores) => {
    await stores.instances.updatePolicy(active.instance.id, next);
    if (Object.keys(changes.after).length > 0)
      await stores.audit.record([adminEvent(deps, active, 'policy.updated', null, client, changes)]);
  });
  return next;
}
