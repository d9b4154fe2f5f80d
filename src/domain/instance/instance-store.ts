import type { Instance, KnownLocationSettings, Plan } from './instance.ts';
import type { PasswordPolicy } from '../policy/policy.ts';

/** Instances are the tenants themselves, so this store is the one that is not instance-scoped. */
export interface InstanceStore {
  /** null when no instance has that slug. */
  findBySlug(slug: string): Promise<Instance | null>;
  /** Throws DomainError('conflict') when the slug is taken. */
  insert(instance: Instance): Promise<void>;
  /** Instances whose slug or name starts with `prefix` (any case), by slug, at most `limit`. */
  search(prefix: string, limit: number): Promise<Instance[]>;
  /** true when at least one instance exists (first-run setup is then closed). */
  any(): Promise<boolean>;
  updateKnownLocationSettings(id: string, settings: KnownLocationSettings): Promise<void>;
  /** One row, whatever the number of users. */
  updatePolicy(id: string, policy: PasswordPolicy): Promise<void>;
  /** The instance, its row locked until the transaction ends (FOR UPDATE); null when none has that slug. */
  lockBySlug(slug: string): Promise<Instance | null>;
  /** The plan with the policy and trusted-browser settings it keeps (change-plan.ts); one row. */
  updatePlan(id: string, plan: Plan, policy: PasswordPolicy, knownLocations: KnownLocationSettings): Promise<void>;
  /** Instances by slug after `afterSlug` (keyset on the slug's unique index), at most `limit`. */
  list(afterSlug: string | null, limit: number): Promise<Instance[]>;
}
