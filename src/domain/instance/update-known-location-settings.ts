import { adminEvent, changedFields, type AuditClient } from '../audit/audit-event.ts';
import { DomainError, invalidInput } from '../shared/errors.ts';
import { PLAN_FEATURES } from './plan.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import type { KnownLocationSettings } from './instance.ts';
import { requireAdmin } from './require-admin.ts';

/** Admins set how long devices stay trusted and whether a network change asks again (Business and Enterprise). */
export async function updateKnownLocationSettings(
  deps: Deps,
  active: ActiveSession,
  input: Partial<KnownLocationSettings>,
  client: AuditClient,
): Promise<KnownLocationSettings> {
  requireAdmin(deps, active);
  // Checked on the server, not by a hidden form (SPEC rule 1's way for every plan difference).
  if (!PLAN_FEATURES[active.instance.plan].knownLocationSettings && Object.keys(input).length > 0) {
    throw new DomainError('plan_required', 'Trusted-browser settings need the Business or Enterprise plan.');
  }
  const settings = { ...active.instance.knownLocations, ...input };
  if (!Number.isInteger(settings.trustDays) || settings.trustDays < 0 || settings.trustDays > 30) {
    // Why at most 30 days: a remembered device makes the login password-only (NIST SP 800-63B AAL1).
    throw invalidInput('trustDays', 'Trust lasts between 0 and 30 days.');
  }
  const changes = changedFields({ knownLocations: active.instance.knownLocations }, { knownLocations: settings });
  await deps.stores.transaction(async (stores) => {
    await stores.instances.updateKnownLocationSettings(active.instance.id, settings);
    if (Object.keys(changes.after).length > 0)
      await stores.audit.record([adminEvent(deps, active, 'settings.updated', null, client, changes)]);
  });
  return settings;
}
