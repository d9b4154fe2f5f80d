/**
 * Forward auth in storage (SPEC §7, docs/forward-auth.md): the proxy's question in one statement
 * (the application by host, its rules, the forward session by cookie, and the bound keyward
 * session judged as every authenticated request judges it), and the callback's and logout's writes.
 */
import { sql, type Kysely, type QueryCreator } from 'kysely';
import type { ForwardAuthStore, HostApp } from '../domain/forward-auth/forward-session-store.ts';
import type { AppRule } from '../domain/forward-auth/protected-app.ts';
import type { AuditAction } from '../domain/audit/audit-event.ts';
import type { Database } from './schema.ts';
import { INSTANCE_COLUMNS, toPrefixedInstance, toSession, toUser } from './rows.ts';
import { hostsOf, jsonList } from './protected-app-store.ts';

type InstanceColumn = (typeof INSTANCE_COLUMNS)[number] extends infer C ? (C extends string ? `i.${C} as i_${C}` : never) : never;

const LOGGED_OUT: AuditAction = 'session.logged_out';

/** The application of a host, with its instance's columns (`i_…`): the part every lookup starts with. */
function appOfHost(db: QueryCreator<Database>, host: string) {
  return db
    .selectFrom('protected_app_hosts as h')
    .innerJoin('protected_apps as pa', (join) => join.onRef('pa.instance_id', '=', 'h.instance_id').onRef('pa.id', '=', 'h.app_id'))
    .innerJoin('instances as i', 'i.id', 'pa.instance_id')
    .select(['pa.id as app_id', 'pa.instance_id as app_instance_id', 'pa.name as app_name', 'pa.client_id as app_client_id'])
    .select(['pa.rules as app_rules', 'pa.cookie_domain as app_cookie_domain', hostsOf.as('app_hosts')])
    .select(INSTANCE_COLUMNS.map((c) => `i.${c} as i_${c}` as InstanceColumn))
    .where('h.host', '=', host);
}

type AppColumns = {
  app_id: string;
  app_instance_id: string;
  app_name: string;
  app_client_id: string;
  app_rules: unknown;
  app_hosts: unknown;
  app_cookie_domain: string | null;
  i_slug: string;
};

function toHostApp(row: AppColumns): HostApp {
  return {
    id: row.app_id,
    instanceId: row.app_instance_id,
    instanceSlug: row.i_slug,
    name: row.app_name,
    clientId: row.app_client_id,
    rules: jsonList<AppRule>(row.app_rules),
    hosts: jsonList<string>(row.app_hosts),
    cookieDomain: row.app_cookie_domain,
  };
}

export function forwardAuthStore(db: Kysely<Database>): ForwardAuthStore {
  return {
    async findApp(host) {
      const row = await appOfHost(db, host).executeTakeFirst();
      return row ? toHostApp(row) : null;
    },

    async lookup(host, tokens, { now, idleCutoff, touchBefore }) {
      // The cookie the app reads: a host-only app its host cookie, a domain app the domain cookie.
      const hostOnly = sql<boolean>`app.app_cookie_domain is null`;
      const tokenId = sql<string>`case when ${hostOnly} then ${tokens.host?.id ?? ''}::text else ${tokens.domain?.id ?? ''}::text end`;
      const tokenHash = sql<string>`case when ${hostOnly} then ${tokens.host?.secretHash ?? ''}::text
        else ${tokens.domain?.secretHash ?? ''}::text end`;
      // Why one statement: this runs before every request to every protected application (the
      // request budget of docs/performance.md: 1 per authenticated request). The bound keyward
      // session is judged as sessions.findActive judges it (not past its end, not idle, its user
      // active), so a logout, disable, reset or password change ends the app's access at once.
      const row = await db
        .with('app', (qb) => appOfHost(qb, host))
        .with('found', (qb) =>
          qb
            .selectFrom('forward_sessions as f')
            .innerJoin('app', (join) => join.onRef('app.app_instance_id', '=', 'f.instance_id'))
            .innerJoin('sessions as s', (join) => join.onRef('s.instance_id', '=', 'f.instance_id').onRef('s.id', '=', 'f.session_id'))
            .innerJoin('users as u', (join) => join.onRef('u.instance_id', '=', 's.instance_id').onRef('u.id', '=', 's.user_id'))
            .leftJoin('totp_credentials as t', (join) =>
              join.onRef('t.instance_id', '=', 's.instance_id').onRef('t.user_id', '=', 's.user_id'),
            )
            .select(['f.id as f_id', 'f.secret_hash as f_secret_hash', 'f.host as f_host', tokenHash.as('f_token_hash')])
            .select([
              's.id as s_id',
              's.user_id as s_user_id',
              's.stage as s_stage',
              's.created_at as s_created_at',
              's.last_seen_at as s_last_seen_at',
              's.expires_at as s_expires_at',
              's.second_factor_at as s_second_factor_at',
              's.second_factor_kind as s_second_factor_kind',
              's.secret_hash as s_secret_hash',
            ])
            .select([
              'u.email as u_email',
              'u.name as u_name',
              'u.role as u_role',
              'u.status as u_status',
              'u.two_factor_enabled as u_two_factor_enabled',
              'u.password_changed_at as u_password_changed_at',
              'u.created_at as u_created_at',
              'u.setup_postponements as u_setup_postponements',
              't.secret_sealed as t_secret_sealed',
              't.last_used_step as t_last_used_step',
            ])
            .where('f.id', 'in', [tokens.host?.id ?? '', tokens.domain?.id ?? ''])
            .where('f.id', '=', tokenId)
            // Why a domain session never opens a host-only app (and a host-only one only its own
            // app on its own host): a Domain cookie reaches every host under the domain, those
            // keyward does not protect included, so it may only open what chose that exposure:
            // apps of the same instance with the same cookie domain (TEN-02; RFC 6265 §8.6: a
            // domain's cookies are every sibling host's to read and to set).
            .where((eb) =>
              eb.or([
                eb.and([
                  eb(hostOnly, '=', true),
                  eb('f.cookie_domain', 'is', null),
                  eb('f.app_id', '=', eb.ref('app.app_id')),
                  eb('f.host', '=', host),
                ]),
                eb.and([eb(hostOnly, '=', false), eb('f.cookie_domain', '=', eb.ref('app.app_cookie_domain'))]),
              ]),
            )
            .where('f.expires_at', '>', now)
            .where('s.expires_at', '>', now)
            .where('s.last_seen_at', '>', idleCutoff)
            .where('u.status', '=', 'active'),
        )
        .with('touched', (qb) =>
          // The app in use is the user at work: the keyward session's idle timer moves, at most
          // once a minute, and only for the right secret (a guessed id moves nothing).
          qb
            .updateTable('sessions')
            .set({ last_seen_at: now })
            .where('id', '=', (eb) => eb.selectFrom('found').select('found.s_id'))
            .where('last_seen_at', '<', touchBefore)
            .where(sql<boolean>`(select found.f_secret_hash = found.f_token_hash from found)`)
            .returning('id'),
        )
        .selectFrom('app')
        .leftJoin('found', (join) => join.onTrue())
        .selectAll()
        .executeTakeFirst();
      if (!row) return null;
      const app = toHostApp(row);
      if (row.f_id === null) return { app, forward: null };
      const instance = toPrefixedInstance(app.instanceId, row);
      const session = toSession({
        id: row.s_id!,
        instance_id: app.instanceId,
        user_id: row.s_user_id!,
        stage: row.s_stage!,
        created_at: row.s_created_at!,
        last_seen_at: row.s_last_seen_at!,
        expires_at: row.s_expires_at!,
        second_factor_at: row.s_second_factor_at ?? null,
        second_factor_kind: row.s_second_factor_kind ?? null,
        pending_totp_secret: null,
        pending_totp_expires_at: null,
      });
      const user = toUser({
        id: row.s_user_id!,
        instance_id: app.instanceId,
        email: row.u_email!,
        name: row.u_name!,
        role: row.u_role!,
        status: row.u_status!,
        two_factor_enabled: row.u_two_factor_enabled!,
        password_changed_at: row.u_password_changed_at ?? null,
        created_at: row.u_created_at!,
        setup_postponements: row.u_setup_postponements!,
      });
      return {
        app,
        forward: {
          id: row.f_id,
          secretHash: row.f_secret_hash!,
          host: row.f_host!,
          active: {
            session,
            secretHash: row.s_secret_hash!,
            user,
            instance,
            totp: row.t_secret_sealed ? { secretSealed: row.t_secret_sealed, lastUsedStep: Number(row.t_last_used_step) } : null,
            backupCodeMac: null,
            throttles: new Map(),
          },
        },
      };
    },

    async insertFromCode(instanceId, next, { now, idleCutoff }) {
      // Why the code's own row names the session: the provider stored the code while the
      // browser's keyward session was deciding the authorization (session-link.ts, adapter.ts),
      // so it is the session that signed in, not whichever cookie arrives later (no session
      // fixation through the callback, OWASP ASVS 5.0 V7.2.4). Only a live full session counts.
      const row = await db
        .insertInto('forward_sessions')
        .columns(['id', 'secret_hash', 'instance_id', 'app_id', 'session_id', 'host', 'cookie_domain', 'created_at', 'expires_at'])
        .expression((eb) =>
          eb
            .selectFrom('oidc_state as c')
            .innerJoin('sessions as s', (join) =>
              join.onRef('s.instance_id', '=', 'c.instance_id').onRef('s.id', '=', 'c.keyward_session_id'),
            )
            .innerJoin('users as u', (join) => join.onRef('u.instance_id', '=', 's.instance_id').onRef('u.id', '=', 's.user_id'))
            .innerJoin('protected_apps as pa', (join) => join.onRef('pa.instance_id', '=', 'c.instance_id'))
            .select([
              eb.val(next.id).as('id'),
              eb.val(next.secretHash).as('secret_hash'),
              'c.instance_id',
              'pa.id as app_id',
              's.id as session_id',
              eb.val(next.host).as('host'),
              'pa.cookie_domain',
              sql<Date>`${next.createdAt}::timestamptz`.as('created_at'),
              's.expires_at',
            ])
            .where('c.instance_id', '=', instanceId)
            .where('c.model', '=', 'AuthorizationCode')
            .where('c.id', '=', next.codeHash)
            .where('pa.id', '=', next.appId)
            .where(sql<boolean>`c.payload->>'clientId' = pa.client_id`)
            .where('s.stage', '=', 'done')
            .where('s.expires_at', '>', now)
            .where('s.last_seen_at', '>', idleCutoff)
            .where('u.status', '=', 'active'),
        )
        .returning([
          'expires_at',
          'cookie_domain',
          (eb) =>
            eb.selectFrom('sessions').select('sessions.user_id').whereRef('sessions.id', '=', 'forward_sessions.session_id').as('user_id'),
        ])
        .executeTakeFirst();
      return row ? { expiresAt: new Date(row.expires_at), userId: row.user_id!, cookieDomain: row.cookie_domain } : null;
    },

    async logOut(id, secretHash, { at, idleCutoff, ip, userAgent }) {
      const label = sql<string>`u.name || ' <' || u.email || '>'`;
      await db
        .with('forward', (qb) =>
          qb
            .selectFrom('forward_sessions as f')
            .innerJoin('protected_apps as pa', (join) => join.onRef('pa.instance_id', '=', 'f.instance_id').onRef('pa.id', '=', 'f.app_id'))
            .select(['f.session_id', 'pa.client_id', 'pa.name'])
            .where('f.id', '=', id)
            .where('f.secret_hash', '=', secretHash),
        )
        .with('ended', (qb) =>
          qb
            .deleteFrom('sessions')
            .where('id', '=', (eb) => eb.selectFrom('forward').select('forward.session_id'))
            .returning(['instance_id', 'user_id', sql<boolean>`expires_at > ${at} and last_seen_at > ${idleCutoff}`.as('live')]),
        )
        .insertInto('audit_events')
        .columns([
          'instance_id',
          'at',
          'action',
          'actor_type',
          'actor_id',
          'actor_label',
          'target_id',
          'target_label',
          'ip',
          'user_agent',
          'details',
        ])
        .expression((eb) =>
          eb
            .selectFrom('ended')
            .innerJoin('users as u', (join) => join.onRef('u.instance_id', '=', 'ended.instance_id').onRef('u.id', '=', 'ended.user_id'))
            .innerJoin('forward', (join) => join.onTrue())
            .where('ended.live', '=', true)
            .select([
              'ended.instance_id',
              sql<Date>`${at}::timestamptz`.as('at'),
              sql<string>`${LOGGED_OUT}::text`.as('action'),
              sql<string>`'user'`.as('actor_type'),
              'u.id as actor_id',
              label.as('actor_label'),
              'u.id as target_id',
              label.as('target_label'),
              sql<string | null>`${ip}::text`.as('ip'),
              sql<string | null>`${userAgent}::text`.as('user_agent'),
              // As a relying party's logout (audit-words: "Asked by the application …").
              sql<string>`jsonb_build_object('via', 'application', 'clientId', forward.client_id, 'client', forward.name)`.as('details'),
            ]),
        )
        .execute();
    },
  };
}
