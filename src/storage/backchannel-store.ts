import { sql, type Kysely } from 'kysely';
import type { BackchannelKey, BackchannelLogoutStore } from '../domain/oidc/backchannel-store.ts';
import type { Database } from './schema.ts';

export function backchannelLogoutStore(db: Kysely<Database>): BackchannelLogoutStore {
  const byKey = (key: BackchannelKey) =>
    db
      .updateTable('oidc_logout_deliveries')
      .where('instance_id', '=', key.instanceId)
      .where('client_id', '=', key.clientId)
      .where('sid', '=', key.sid);
  return {
    async queue({ instanceId, clientId, sid, sub }) {
      await db
        .insertInto('oidc_logout_deliveries')
        .values({ instance_id: instanceId, client_id: clientId, sid, sub })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async claimDue(now, leaseUntil, limit) {
      // Why SKIP LOCKED: as the mail outbox (outbox-store.ts), concurrent workers take different
      // rows; an expired lease (a worker died mid-send) makes the row due again.
      const { rows } = await sql<{
        instance_id: string;
        client_id: string;
        sid: string;
        sub: string;
        attempts: number;
        created_at: Date;
        slug: string | null;
      }>`
        with claimed as (
          update oidc_logout_deliveries d set claimed_until = ${leaseUntil}, attempts = d.attempts + 1
          where (d.instance_id, d.client_id, d.sid) in (
            select instance_id, client_id, sid from oidc_logout_deliveries
            where delivered_at is null and not dead
              and (next_attempt_at is null or next_attempt_at <= ${now})
              and (claimed_until is null or claimed_until < ${now})
            order by next_attempt_at nulls first, created_at
            limit ${limit}
            for update skip locked
          )
          returning d.instance_id, d.client_id, d.sid, d.sub, d.attempts, d.created_at
        )
        select c.*, i.slug from claimed c left join instances i on i.id = c.instance_id`.execute(db);
      return rows.map((row) => ({
        instanceId: row.instance_id,
        slug: row.slug,
        clientId: row.client_id,
        sid: row.sid,
        sub: row.sub,
        attempts: Number(row.attempts),
        createdAt: new Date(row.created_at),
      }));
    },
    async markDelivered(key, now) {
      await byKey(key).set({ delivered_at: now, claimed_until: null, last_error: null }).execute();
    },
    async markFailed(key, error, retryAt, dead) {
      await byKey(key)
        .set({ next_attempt_at: retryAt, claimed_until: null, dead, last_error: error.slice(0, 1000) })
        .execute();
    },
  };
}
