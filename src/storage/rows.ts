/** Row → domain mappers: the only place that knows column names on the way out. */
import { sql } from 'kysely';
import type { Instance } from '../domain/instance/instance.ts';
import type { User } from '../domain/account/user.ts';
import type { Session } from '../domain/session/session.ts';
import { throttleMap, type ThrottleScope, type ThrottleStates } from '../domain/throttle/throttle.ts';
import type { InstanceRow, SessionRow, UserRow } from './schema.ts';

/** The instance's columns but its id, for a join that selects them beside another row. */
/**
 * A string with its lone UTF-16 surrogates as U+FFFD, as the driver's UTF-8 encoding of a text
 * parameter turns them. For values sent inside a JSON parameter (json_to_recordset): PostgreSQL's
 * JSON parser refuses an escaped lone surrogate, and one bad name would fail a whole batch.
 */
export const wellFormed = (text: string): string =>
  text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

export const INSTANCE_COLUMNS = [
  'slug',
  'name',
  'plan',
  'created_at',
  'trust_days',
  'trust_requires_same_network',
  'two_factor_auto_enable',
  'two_factor_enforce_setup',
  'two_factor_enforce_from',
  'two_factor_max_postpones',
  'password_min_length',
  'password_max_age_days',
  'password_warn_days',
  'password_history_count',
] as const satisfies ReadonlyArray<keyof InstanceRow>;

/** `i.slug as i_slug, …` for a join on `instances` aliased `i`: the instance beside another row. */
export const prefixedInstanceColumns = sql.raw(INSTANCE_COLUMNS.map((c) => `i.${c} as i_${c}`).join(', '));

/** The instance from a row selected with prefixedInstanceColumns. */
export function toPrefixedInstance(id: string, row: Record<string, unknown>): Instance {
  const columns = Object.fromEntries(INSTANCE_COLUMNS.map((c) => [c, row[`i_${c}`]])) as Omit<InstanceRow, 'id'>;
  return toInstance({ id, ...columns });
}

export function toInstance(row: InstanceRow): Instance {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    plan: row.plan,
    createdAt: row.created_at,
    knownLocations: { trustDays: row.trust_days, requireSameNetwork: row.trust_requires_same_network },
    policy: {
      twoFactor: {
        autoEnable: row.two_factor_auto_enable,
        enforceSetup: row.two_factor_enforce_setup,
        enforceFrom: row.two_factor_enforce_from,
        maxPostpones: row.two_factor_max_postpones,
      },
      password: {
        minLength: row.password_min_length,
        maxAgeDays: row.password_max_age_days,
        warnDays: row.password_warn_days,
        historyCount: row.password_history_count,
      },
    },
  };
}

export const userColumns = [
  'users.id',
  'users.instance_id',
  'users.email',
  'users.name',
  'users.role',
  'users.status',
  'users.two_factor_enabled',
  'users.password_changed_at',
  'users.created_at',
  'users.setup_postponements',
] as const;

/** A user's columns as the domain's User needs them (schema.ts row types). */
export type UserColumns = Pick<UserRow, (typeof userColumns)[number] extends `users.${infer C}` ? C & keyof UserRow : never>;

export function toUser(row: UserColumns): User {
  return {
    id: row.id,
    instanceId: row.instance_id,
    email: row.email,
    name: row.name,
    role: row.role,
    status: row.status,
    twoFactorEnabled: row.two_factor_enabled,
    passwordChangedAt: row.password_changed_at,
    createdAt: row.created_at,
    setupPostponements: row.setup_postponements,
  };
}

export function toSession(
  row: Pick<
    SessionRow,
    | 'id'
    | 'instance_id'
    | 'user_id'
    | 'stage'
    | 'created_at'
    | 'last_seen_at'
    | 'expires_at'
    | 'second_factor_at'
    | 'pending_totp_secret'
    | 'pending_totp_expires_at'
  > &
    Partial<Pick<SessionRow, 'second_factor_kind'>>,
): Session {
  return {
    id: row.id,
    instanceId: row.instance_id,
    userId: row.user_id,
    stage: row.stage,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    secondFactorAt: row.second_factor_at,
    secondFactorKind: row.second_factor_kind ?? null,
    pendingTotp:
      row.pending_totp_secret && row.pending_totp_expires_at
        ? { secretSealed: row.pending_totp_secret, expiresAt: row.pending_totp_expires_at }
        : null,
  };
}

/** Throttle rows aggregated as JSON by throttleSubquery: `[{scope, instanceSlug, subject, failures, last}]`. */
export function toThrottles(json: unknown): ThrottleStates {
  type Row = { scope: ThrottleScope; instanceSlug: string | null; subject: string; failures: number; last: string };
  const list = (typeof json === 'string' ? JSON.parse(json) : json) as Row[] | null;
  return throttleMap(
    (list ?? []).map(
      (t) =>
        [
          { scope: t.scope, instanceSlug: t.instanceSlug, subject: t.subject },
          { failures: Number(t.failures), lastFailureAt: new Date(t.last) },
        ] as const,
    ),
  );
}
