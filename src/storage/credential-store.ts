import { sql, type Kysely } from 'kysely';
import type { CredentialStore } from '../domain/login/credential-store.ts';
import type { Database } from './schema.ts';
import { prefixedInstanceColumns, toPrefixedInstance, toThrottles, toUser, type UserColumns } from './rows.ts';
import { throttleSubquery } from './throttle-store.ts';

interface LoginRow extends Partial<UserColumns> {
  password_hash: string | null;
  associated: boolean | null;
  i_slug: string | null;
  throttles: unknown;
  locations: unknown;
}

export function credentialStore(db: Kysely<Database>): CredentialStore {
  return {
    async findForLogin({ instanceSlug, emailKey, throttleKeys, deviceIds, now }) {
      // One statement for login step 1: the account (if any), the throttle states (which exist
      // for unknown accounts too) and the user's known locations among the presented devices.
      const locations =
        deviceIds.length > 0
          ? sql`(select json_agg(json_build_object('id', kl.id, 'secretHash', kl.secret_hash, 'network', kl.network))
                 from known_locations kl
                 where kl.instance_id = a.instance_id and kl.user_id = a.id and kl.id in (${sql.join(deviceIds)}) and kl.expires_at > ${now}
                   and kl.created_at + make_interval(days => a.i_trust_days) > ${now})`
          : sql`null`;
      const { rows } = await sql<LoginRow>`
        select a.*, ${throttleKeys.length > 0 ? throttleSubquery(throttleKeys) : sql`null`} as throttles, ${locations} as locations
        from (select 1) as one
        left join lateral (
          select u.id, u.instance_id, u.email, u.name, u.role, u.status, u.two_factor_enabled, u.password_changed_at,
                 u.created_at, u.password_hash,
                 u.totp_associated as associated,
                 u.setup_postponements, ${prefixedInstanceColumns}
          from users u join instances i on i.id = u.instance_id
          where i.slug = ${instanceSlug} and u.email_key = ${emailKey}
        ) as a on true`.execute(db);
      const row = rows[0]!;
      const account =
        row.id && row.i_slug
          ? {
              instance: toPrefixedInstance(row.instance_id!, row as unknown as Record<string, unknown>),
              user: { ...toUser(row as UserColumns), passwordHash: row.password_hash },
              associated: row.associated === true,
            }
          : null;
      const locationList = (typeof row.locations === 'string' ? JSON.parse(row.locations) : row.locations) as
        | Array<{ id: string; secretHash: string; network: string }>
        | null;
      return { account, throttles: toThrottles(row.throttles), locations: locationList ?? [] };
    },
  };
}
