import type { Deps } from '../shared/deps.ts';

/** How many instances one statement reads: `instance list` pages through all of them by slug. */
const PAGE = 500;

/** `keyward instance list`: every instance by slug, with its plan and creation time. */
export async function listInstances(deps: Deps) {
  const all = [];
  for (let after: string | null = null; ;) {
    const page = await deps.stores.instances.list(after, PAGE);
    all.push(...page.map((i) => ({ id: i.id, slug: i.slug, name: i.name, plan: i.plan, createdAt: i.createdAt.toISOString() })));
    if (page.length < PAGE) return all;
    after = page[page.length - 1]!.slug;
  }
}
