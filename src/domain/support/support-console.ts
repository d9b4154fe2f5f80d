import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { Instance } from '../instance/instance.ts';
import { listInstanceUsers, type UserList, type UserListQuery } from '../admin/list-users.ts';
import { parseVerification, resetBySupport } from '../recovery/reset-two-factor.ts';
import type { AuditClient } from '../audit/audit-event.ts';
import type { ActiveOperatorSession } from './operator-store.ts';
import { requireFreshOperatorCode } from './operator-sign-in.ts';
import { changePlan } from '../instance/change-plan.ts';
import { operatorActor } from '../audit/audit-event.ts';

const SEARCH_LIMIT = 20;

export interface InstanceSummary {
  slug: string;
  name: string;
  plan: Instance['plan'];
}

const summary = (instance: Instance): InstanceSummary => ({ slug: instance.slug, name: instance.name, plan: instance.plan });

async function instanceBySlug(deps: Deps, slug: string): Promise<Instance> {
  const instance = await deps.stores.instances.findBySlug(slug.trim().toLowerCase());
  if (!instance) throw new DomainError('not_found', 'No such instance.');
  return instance;
}

/** GET /support/instances: find an instance by the start of its slug or name. */
export async function findInstances(deps: Deps, q: string | undefined): Promise<InstanceSummary[]> {
  return (await deps.stores.instances.search(q?.trim() ?? '', SEARCH_LIMIT)).map(summary);
}

/** GET /support/instances/{slug}/users: the instance's users with their 2FA status (read only). */
export async function instanceUsers(deps: Deps, slug: string, query: UserListQuery): Promise<UserList & { instance: InstanceSummary }> {
  const instance = await instanceBySlug(deps, slug);
  return { instance: summary(instance), ...(await listInstanceUsers(deps, instance, query)) };
}

/**
 * POST /support/instances/{slug}/users/{id}/two-factor/reset (SPEC rule 9): a full operator
 * session with a code from the last 10 minutes, a verification record, an administrator of
 * that instance. Checked in that order, so a missing record is refused before any lookup.
 */
export async function supportReset(
  deps: Deps,
  active: ActiveOperatorSession,
  slug: string,
  userId: string,
  body: { verification?: unknown },
  client: AuditClient,
): Promise<void> {
  requireFreshOperatorCode(deps, active);
  const verification = parseVerification(body.verification);
  const instance = await instanceBySlug(deps, slug);
  const target = await deps.stores.forInstance(instance.id).users.findById(userId);
  if (!target) throw new DomainError('not_found', 'No such user in this instance.');
  await resetBySupport(deps, active.operator, instance, target, verification, client);
}

/**
 * PUT /support/instances/{slug}/plan: the vendor moves an instance to another plan. A full
 * operator session with a code from the last 10 minutes, as a reset: going down turns the
 * instance's enforcement off (change-plan.ts), a change of every user's protection.
 */
export async function supportChangePlan(deps: Deps, active: ActiveOperatorSession, slug: string, plan: string, client: AuditClient) {
  requireFreshOperatorCode(deps, active);
  const { instance, before, after } = await changePlan(deps, slug, plan, { actor: operatorActor(active.operator), client });
  return { instance: { slug: instance.slug, name: instance.name, plan: instance.plan }, changed: { before, after } };
}
