import type { Kysely } from 'kysely';
import type { CredentialStore } from '../domain/login/credential-store.ts';
import type { Database } from './schema.ts';
import { toInstance, toUser, userColumns } from './rows.ts';

export function credentialStore(db: Kysely<Database>): CredentialStore {
  return {
    async findForLogin(instanceSlug, emailKey) {
      const row = await db
        .selectFrom('users')
        .innerJoin('instances', 'instances.id', 'users.instance_id')
        .select(userColumns)
        .select('users.password_hash')
        .select([
          'instances.slug as i_slug',
          'instances.name as i_name',
          'instances.plan as i_plan',
          'instances.created_at as i_created_at',
        ])
        .where('instances.slug', '=', instanceSlug)
        .where('users.email_key', '=', emailKey)
        .executeTakeFirst();
      if (!row) return null;
      const instance = toInstance({ id: row.instance_id, slug: row.i_slug, name: row.i_name, plan: row.i_plan, created_at: row.i_created_at });
      return { instance, user: { ...toUser(row), passwordHash: row.password_hash } };
    },
  };
}
