import { sql, type Kysely } from 'kysely';
import type { HousekeepingStore } from '../domain/maintenance/housekeeping-store.ts';
import type { Database } from './schema.ts';

export function housekeepingStore(db: Kysely<Database>): HousekeepingStore {
  return {
    async snapshotAdoption(day) {
      await sql`
        insert into two_factor_adoption (instance_id, day, active, pending, off)
        select i.id, ${day}::date,
               coalesce(sum(c.n) filter (where c.associated), 0),
               coalesce(sum(c.n) filter (where not c.associated and (c.enabled or i.two_factor_auto_enable)), 0),
               coalesce(sum(c.n) filter (where not c.associated and not c.enabled and not i.two_factor_auto_enable), 0)
        from instances i left join user_counts c on c.instance_id = i.id
        group by i.id, i.two_factor_auto_enable
        on conflict (instance_id, day) do update set active = excluded.active, pending = excluded.pending, off = excluded.off`.execute(db);
    },
    async deleteExpired(now, sentMailBefore) {
      const { rows } = await sql<{ sessions: number; locations: number; tokens: number; mail: number; throttles: number }>`
        with s as (delete from sessions where expires_at <= ${now} returning 1),
             k as (delete from known_locations where expires_at <= ${now} returning 1),
             t as (delete from setup_tokens where expires_at <= ${now} or used_at is not null returning 1),
             m as (delete from outbox where status = 'sent' and sent_at < ${sentMailBefore} returning 1),
             th as (delete from throttles where decay_seconds is not null
                      and last_failure_at < ${now}::timestamptz - make_interval(secs => decay_seconds) returning 1)
        select (select count(*) from s)::int as sessions, (select count(*) from k)::int as locations,
               (select count(*) from t)::int as tokens, (select count(*) from m)::int as mail,
               (select count(*) from th)::int as throttles`.execute(db);
      const row = rows[0]!;
      return { sessions: row.sessions, knownLocations: row.locations, setupTokens: row.tokens, sentMail: row.mail, throttles: row.throttles };
    },
  };
}
