import { sql, type Kysely } from 'kysely';
import type { ProtectedAppStore } from '../domain/forward-auth/protected-app-store.ts';
import type { AppRule, ProtectedApp } from '../domain/forward-auth/protected-app.ts';
import type { Database } from './schema.ts';
import { inTransaction } from './transaction.ts';

/** pg and PGlite hand jsonb over parsed; a string would be a driver set up otherwise. */
export const jsonList = <T>(value: unknown): T[] => ((typeof value === 'string' ? JSON.parse(value) : value) ?? []) as T[];

/** The app's hosts as a JSON array, beside its row (alias `pa`). */
export const hostsOf = sql<unknown>`coalesce((select jsonb_agg(h.host order by h.host) from protected_app_hosts h
  where h.instance_id = pa.instance_id and h.app_id = pa.id), '[]'::jsonb)`;

interface AppRow {
  id: string;
  name: string;
  rules: unknown;
  client_id: string;
  cookie_domain: string | null;
  created_at: Date;
  updated_at: Date;
  hosts: unknown;
}

function toApp(row: AppRow): ProtectedApp {
  return {
    id: row.id,
    name: row.name,
    hosts: jsonList<string>(row.hosts),
    rules: jsonList<AppRule>(row.rules),
    clientId: row.client_id,
    cookieDomain: row.cookie_domain,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** One instance's protected applications: `instance_id` is in every statement. */
export function protectedAppStore(db: Kysely<Database>, instanceId: string): ProtectedAppStore {
  const select = () =>
    db
      .selectFrom('protected_apps as pa')
      .select(['pa.id', 'pa.name', 'pa.rules', 'pa.client_id', 'pa.cookie_domain', 'pa.created_at', 'pa.updated_at', hostsOf.as('hosts')])
      .where('pa.instance_id', '=', instanceId);
  return {
    async insert(app, max) {
      return inTransaction(db, async (tx) => {
        // As oidc_clients' bound: the instance's row lock first, so concurrent inserts count each other.
        const instance = await tx.selectFrom('instances').select('id').where('id', '=', instanceId).forNoKeyUpdate().executeTakeFirst();
        if (!instance) return false;
        const { rows } = await sql<{ id: string }>`
          insert into protected_apps (id, instance_id, name, rules, client_id, cookie_domain, created_at, updated_at)
          select ${app.id}, ${instanceId}, ${app.name}, ${JSON.stringify(app.rules)}::jsonb, ${app.clientId}, ${app.cookieDomain}::text,
            ${app.createdAt}, ${app.updatedAt}
          where (select count(*) from protected_apps where instance_id = ${instanceId}) < ${max}
          returning id`.execute(tx);
        return rows.length === 1;
      });
    },
    async replaceHosts(appId, hosts) {
      await db.deleteFrom('protected_app_hosts').where('instance_id', '=', instanceId).where('app_id', '=', appId).execute();
      // Why ON CONFLICT DO NOTHING and a count, not a caught unique violation: a failed statement
      // aborts a PostgreSQL transaction, and the caller still has to answer 409 from inside it.
      const inserted = await db
        .insertInto('protected_app_hosts')
        .values(hosts.map((host) => ({ host, instance_id: instanceId, app_id: appId })))
        .onConflict((oc) => oc.column('host').doNothing())
        .returning('host')
        .execute();
      return inserted.length === hosts.length;
    },
    async find(appId) {
      const row = await select().where('pa.id', '=', appId).executeTakeFirst();
      return row ? toApp(row) : null;
    },
    async list(limit) {
      const rows = await select().orderBy('pa.created_at').orderBy('pa.id').limit(limit).execute();
      return rows.map(toApp);
    },
    async update(appId, change, updatedAt) {
      const row = await db
        .updateTable('protected_apps as pa')
        .set({ name: change.name, rules: JSON.stringify(change.rules), cookie_domain: change.cookieDomain, updated_at: updatedAt })
        .where('pa.instance_id', '=', instanceId)
        .where('pa.id', '=', appId)
        .returning([
          'pa.id',
          'pa.name',
          'pa.rules',
          'pa.client_id',
          'pa.cookie_domain',
          'pa.created_at',
          'pa.updated_at',
          hostsOf.as('hosts'),
        ])
        .executeTakeFirst();
      return row ? toApp(row) : null;
    },
    async delete(appId) {
      const before = await select().where('pa.id', '=', appId).executeTakeFirst();
      if (!before) return null;
      // Hosts and forward sessions go with it (foreign keys, migration 0027).
      await db.deleteFrom('protected_apps').where('instance_id', '=', instanceId).where('id', '=', appId).execute();
      return toApp(before);
    },
  };
}
