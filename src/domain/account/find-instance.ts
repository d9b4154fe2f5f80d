import { DomainError } from '../shared/errors.ts';
import type { Instance } from '../instance/instance.ts';
import type { Deps } from '../shared/deps.ts';

/** The instance with that slug, or DomainError('not_found'). For operator tools, not for login. */
export async function getInstanceBySlug(deps: Deps, slug: string): Promise<Instance> {
  const instance = await deps.stores.instances.findBySlug(slug);
  if (!instance) throw new DomainError('not_found', `No instance "${slug}".`, { field: 'instance' });
  return instance;
}
