import type { Kysely } from 'kysely';
import type { InstanceStore } from '../domain/instance/instance-store.ts';
import type { Database } from './schema.ts';
import { conflictOnDuplicate } from './errors.ts';
import { toInstance } from './rows.ts';

export function instanceStore(db: Kysely<Database>): InstanceStore {
  return {
    async findBySlug(slug) {
      const row = await db.selectFrom('instances').selectAll().where('slug', '=', slug).executeTakeFirst();
      return row ? toInstance(row) : null;
    },
    async insert(instance) {
      await conflictOnDuplicate(
        () =>
          db
            .insertInto('instances')
            .values({
              id: instance.id,
              slug: instance.slug,
              name: instance.name,
              plan: instance.plan,
              created_at: instance.createdAt,
              trust_days: instance.knownLocations.trustDays,
              trust_requires_same_network: instance.knownLocations.requireSameNetwork,
            })
            .execute(),
        'instance.slug',
        `An instance with the slug "${instance.slug}" already exists.`,
      );
    },
    async updateKnownLocationSettings(id, settings) {
      await db
        .updateTable('instances')
        .set({ trust_days: settings.trustDays, trust_requires_same_network: settings.requireSameNetwork })
        .where('id', '=', id)
        .execute();
    },
    async any() {
      const row = await db.selectFrom('instances').select('id').limit(1).executeTakeFirst();
      return row !== undefined;
    },
  };
}
