import type { Instance, KnownLocationSettings } from './instance.ts';
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
}
