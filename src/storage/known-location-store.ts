import type { Kysely } from 'kysely';
import type { KnownLocationStore } from '../domain/known-location/known-location-store.ts';
import type { Database } from './schema.ts';

export function knownLocationStore(db: Kysely<Database>, instanceId: string): KnownLocationStore {
  const mine = (userId: string) => db.deleteFrom('known_locations').where('instance_id', '=', instanceId).where('user_id', '=', userId);
  return {
    async listForUser(userId, now) {
      const rows = await db
        .selectFrom('known_locations')
        .select(['id', 'network', 'device', 'created_at', 'last_used_at', 'expires_at'])
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .where('expires_at', '>', now)
        .orderBy('last_used_at', 'desc')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        network: row.network,
        device: row.device,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
        expiresAt: row.expires_at,
      }));
    },
    async delete(userId, id) {
      const result = await mine(userId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async deleteAllForUser(userId) {
      const result = await mine(userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
