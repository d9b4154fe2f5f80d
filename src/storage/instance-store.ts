import { sql, type Kysely } from 'kysely';
import type { InstanceStore } from '../domain/instance/instance-store.ts';
import type { Database } from './schema.ts';
import { conflictOnDuplicate } from './errors.ts';
import { toInstance } from './rows.ts';
import type { PasswordPolicy } from '../domain/policy/policy.ts';

/** The policy's columns of an instance row. */
function policyColumns(policy: PasswordPolicy) {
  return {
    two_factor_auto_enable: policy.twoFactor.autoEnable,
    two_factor_enforce_setup: policy.twoFactor.enforceSetup,
    two_factor_enforce_from: policy.twoFactor.enforceFrom,
    two_factor_max_postpones: policy.twoFactor.maxPostpones,
    password_min_length: policy.password.minLength,
    password_max_age_days: policy.password.maxAgeDays,
    password_warn_days: policy.password.warnDays,
    password_history_count: policy.password.historyCount,
  };
}

export function instanceStore(db: Kysely<Database>): InstanceStore {
  return {
    async search(prefix, limit) {
      // Why lower() on both sides, not toLowerCase() here: JavaScript and PostgreSQL lower-case
      // 'İ' and a final 'Σ' differently, so a name typed as written was not found.
      const pattern = sql<string>`lower(${`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`})`;
      const rows = await db
        .selectFrom('instances')
        .selectAll()
        .where((eb) => eb.or([eb('slug', 'like', pattern), eb(sql`lower(name)`, 'like', pattern)]))
        .orderBy('slug')
        .limit(limit)
        .execute();
      return rows.map(toInstance);
    },
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
    async updatePolicy(id, policy) {
      await db.updateTable('instances').set(policyColumns(policy)).where('id', '=', id).execute();
    },
    async lockBySlug(slug) {
      const row = await db.selectFrom('instances').selectAll().where('slug', '=', slug).forUpdate().executeTakeFirst();
      return row ? toInstance(row) : null;
    },
    async updatePlan(id, plan, policy, knownLocations) {
      await db
        .updateTable('instances')
        .set({
          plan,
          ...policyColumns(policy),
          trust_days: knownLocations.trustDays,
          trust_requires_same_network: knownLocations.requireSameNetwork,
        })
        .where('id', '=', id)
        .execute();
    },
    async list(afterSlug, limit) {
      let query = db.selectFrom('instances').selectAll().orderBy('slug').limit(limit);
      if (afterSlug !== null) query = query.where('slug', '>', afterSlug);
      return (await query.execute()).map(toInstance);
    },
    async any() {
      const row = await db.selectFrom('instances').select('id').limit(1).executeTakeFirst();
      return row !== undefined;
    },
  };
}
