import { sql, type Kysely, type Selectable } from 'kysely';
import type { OidcClientStore, StoredOidcClient } from '../domain/oidc/oidc-client-store.ts';
import type { OidcClient } from '../domain/oidc/oidc-client.ts';
import type { Database, OidcClientsTable } from './schema.ts';
import { inTransaction } from './transaction.ts';
import { prepared } from './prepared.ts';

/** pg and PGlite hand jsonb over parsed; a string would be a driver set up otherwise. */
const list = <T>(value: unknown): T[] => (typeof value === 'string' ? JSON.parse(value) : value) as T[];

function toClient(row: Selectable<OidcClientsTable>): StoredOidcClient {
  return {
    clientId: row.client_id,
    name: row.name,
    public: row.public,
    sealedSecret: row.sealed_secret,
    redirectUris: list(row.redirect_uris),
    postLogoutRedirectUris: list(row.post_logout_redirect_uris),
    backchannelLogoutUri: row.backchannel_logout_uri,
    defaultAcrValues: list(row.default_acr_values),
    grantTypes: list(row.grant_types),
    scopes: list(row.scopes),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    ownerAppId: row.owner_app_id ?? null,
  };
}

const withoutSecret = ({ sealedSecret: _sealed, ownerAppId: _owner, ...client }: StoredOidcClient): OidcClient => client;

/**
 * The provider's lookup of a client, on every OpenID Connect request that names one (six per code
 * login): prepared (storage/prepared.ts), not built and compiled again each time.
 */
const findClient = prepared((db, p: { instanceId: string; clientId: string }) =>
  db.selectFrom('oidc_clients').selectAll().where('instance_id', '=', p.instanceId).where('client_id', '=', p.clientId),
);

/** One instance's OpenID Connect clients: `instance_id` is in every statement. */
export function oidcClientStore(db: Kysely<Database>, instanceId: string): OidcClientStore {
  return {
    async insert(client, max) {
      return inTransaction(db, async (tx) => {
        // Why the instance's row lock first: the bound is a count, and inserts at once each
        // counted the others' uncommitted rows out (READ COMMITTED), so 12 inserts with room for
        // 5 stored 6 to 9 on PostgreSQL (OWASP ASVS 5.0 V2.3.4). The count below is a statement
        // of its own, after the lock, so its snapshot holds every insert that went first.
        const instance = await tx.selectFrom('instances').select('id').where('id', '=', instanceId).forNoKeyUpdate().executeTakeFirst();
        if (!instance) return false;
        const { rows } = await sql<{ client_id: string }>`
        insert into oidc_clients (instance_id, client_id, name, public, sealed_secret, redirect_uris, post_logout_redirect_uris,
          backchannel_logout_uri, default_acr_values, grant_types, scopes, created_at, updated_at, owner_app_id)
        select ${instanceId}, ${client.clientId}, ${client.name}, ${client.public}, ${client.sealedSecret},
          ${JSON.stringify(client.redirectUris)}::jsonb, ${JSON.stringify(client.postLogoutRedirectUris)}::jsonb,
          ${client.backchannelLogoutUri}, ${JSON.stringify(client.defaultAcrValues)}::jsonb, ${JSON.stringify(client.grantTypes)}::jsonb,
          ${JSON.stringify(client.scopes)}::jsonb, ${client.createdAt}, ${client.updatedAt}, ${client.ownerAppId}
        where (select count(*) from oidc_clients where instance_id = ${instanceId}) < ${max}
        returning client_id`.execute(tx);
        return rows.length === 1;
      });
    },
    async find(clientId) {
      const row = await findClient.executeTakeFirst(db, { instanceId, clientId });
      return row ? toClient(row) : null;
    },
    async list(limit) {
      const rows = await db
        .selectFrom('oidc_clients')
        .selectAll()
        .where('instance_id', '=', instanceId)
        .where('owner_app_id', 'is', null)
        .orderBy('created_at')
        .orderBy('client_id')
        .limit(limit)
        .execute();
      return rows.map((row) => withoutSecret(toClient(row)));
    },
    async update(clientId, change, updatedAt, owner) {
      const row = await db
        .updateTable('oidc_clients')
        .set({
          name: change.name,
          redirect_uris: JSON.stringify(change.redirectUris),
          post_logout_redirect_uris: JSON.stringify(change.postLogoutRedirectUris),
          backchannel_logout_uri: change.backchannelLogoutUri,
          default_acr_values: JSON.stringify(change.defaultAcrValues),
          grant_types: JSON.stringify(change.grantTypes),
          scopes: JSON.stringify(change.scopes),
          updated_at: updatedAt,
        })
        .where('instance_id', '=', instanceId)
        .where('client_id', '=', clientId)
        .where((eb) => (owner === undefined ? eb('owner_app_id', 'is', null) : eb('owner_app_id', '=', owner)))
        .returningAll()
        .executeTakeFirst();
      return row ? withoutSecret(toClient(row)) : null;
    },
    async updateSecret(clientId, sealedSecret, updatedAt) {
      const row = await db
        .updateTable('oidc_clients')
        .set({ sealed_secret: sealedSecret, updated_at: updatedAt })
        .where('instance_id', '=', instanceId)
        .where('client_id', '=', clientId)
        .where('public', '=', false)
        .where('owner_app_id', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return row ? withoutSecret(toClient(row)) : null;
    },
    async delete(clientId, owner) {
      const row = await db
        .deleteFrom('oidc_clients')
        .where('instance_id', '=', instanceId)
        .where('client_id', '=', clientId)
        .where((eb) => (owner === undefined ? eb('owner_app_id', 'is', null) : eb('owner_app_id', '=', owner)))
        .returningAll()
        .executeTakeFirst();
      return row ? withoutSecret(toClient(row)) : null;
    },
  };
}
