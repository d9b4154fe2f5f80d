import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { changedFields, type AuditActor, type AuditClient, recordedClient } from '../audit/audit-event.ts';
import { parsePlan, type Instance } from './instance.ts';
import { knownLocationsForPlan, policyForPlan } from './plan.ts';

/** An instance's plan and the settings a plan change touched, before and after. */
export interface PlanChange {
  instance: Pick<Instance, 'id' | 'slug' | 'name' | 'plan'>;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/**
 * Moves an instance to another plan (the CLI's `instance set-plan`, the support console). Going
 * down turns off what the new plan does not allow (plan.ts: policyForPlan, knownLocationsForPlan),
 * in the same transaction as the plan, with one audit event in the instance's log saying what
 * changed (before → after), so its administrators see why enforcement stopped. The instance row
 * is locked first: a policy change of its administrator runs wholly before or after.
 */
export async function changePlan(
  deps: Deps,
  slug: string,
  rawPlan: string,
  by: { actor: AuditActor; client: AuditClient },
): Promise<PlanChange> {
  const plan = parsePlan(rawPlan);
  return deps.stores.transaction(async (stores) => {
    const instance = await stores.instances.lockBySlug(slug.trim().toLowerCase());
    if (!instance) throw new DomainError('not_found', 'No such instance.');
    const policy = policyForPlan(instance.policy, plan);
    const knownLocations = knownLocationsForPlan(instance.knownLocations, plan);
    const changes = changedFields(
      { plan: instance.plan, policy: instance.policy, knownLocations: instance.knownLocations },
      { plan, policy, knownLocations },
    );
    if (Object.keys(changes.after).length > 0) {
      await stores.instances.updatePlan(instance.id, plan, policy, knownLocations);
      await stores.audit.record([
        {
          instanceId: instance.id,
          at: deps.clock.now(),
          action: 'instance.plan_changed',
          actor: by.actor,
          target: null,
          ...recordedClient(by.client),
          details: changes,
        },
      ]);
    }
    return { instance: { id: instance.id, slug: instance.slug, name: instance.name, plan }, ...changes };
  });
}
