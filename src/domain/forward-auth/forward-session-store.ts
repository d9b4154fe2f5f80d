import type { ActiveSession } from '../session/session-store.ts';
import type { AppRule } from './protected-app.ts';

/** The protected application a request's host names, as the proxy's question needs it. */
export interface HostApp {
  id: string;
  instanceId: string;
  instanceSlug: string;
  name: string;
  clientId: string;
  rules: AppRule[];
  hosts: string[];
  /** null: host-only forward cookies; else the parent domain its cookie is set for. */
  cookieDomain: string | null;
}

/** A forward session found by its id, with the keyward session it is bound to (judged live by the store). */
export interface ActiveForwardSession {
  id: string;
  secretHash: string;
  host: string;
  /** The bound keyward session, its user, instance and authenticator, as authenticate() reads them. */
  active: ActiveSession;
}

/** A forward cookie's value, parsed: the id and SHA-256 of the secret. */
export interface ForwardToken {
  id: string;
  secretHash: string;
}

/** What a forward session is made of, after the callback's code exchange succeeded. */
export interface NewForwardSession {
  id: string;
  secretHash: string;
  appId: string;
  host: string;
  /** SHA-256 of the authorization code (the provider stores codes under it): the code's row names the keyward session. */
  codeHash: string;
  createdAt: Date;
}

/**
 * Forward sessions and the host lookup of the proxy's question (SPEC §7). Global: the request
 * names a host, and the host names the instance; every answer carries the instance it belongs to.
 */
export interface ForwardAuthStore {
  /**
   * The application of `host` and the forward session of the cookie that application reads: for a
   * host-only app (`cookieDomain` null) the host cookie's session, made for that app on that host
   * without a domain; for a domain app the domain cookie's session, made by any app of the same
   * instance with the same cookie domain. Its bound keyward session must be live (not past its
   * end, not idle since `idleCutoff`, its user active) at `now`. ONE statement, which also
   * refreshes the keyward session's idle timer (at most once a minute, only with the right secret
   * hash). null: no application has this host. The caller compares the secret hash in constant time.
   */
  lookup(
    host: string,
    tokens: { host: ForwardToken | null; domain: ForwardToken | null },
    times: { now: Date; idleCutoff: Date; touchBefore: Date },
  ): Promise<{ app: HostApp; forward: ActiveForwardSession | null } | null>;
  /**
   * The application of `host`, for the sign-in paths (no session needed); null when none.
   */
  findApp(host: string): Promise<HostApp | null>;
  /**
   * Stores the forward session bound to the keyward session the authorization code was issued
   * for, with the app's cookie domain as stored now (returned: the Domain to set the cookie for), if that session is a live full session at `now` (idle since `idleCutoff` is not): its
   * end is the keyward session's end. One statement; null when there is no such code or session.
   */
  insertFromCode(
    instanceId: string,
    session: NewForwardSession,
    times: { now: Date; idleCutoff: Date },
  ): Promise<{ expiresAt: Date; userId: string; cookieDomain: string | null } | null>;
  /**
   * Logout on the application's host: deletes the keyward session the forward session is bound
   * to (and so every forward session bound to it) when id and hash match, recording
   * `session.logged_out` (via the application) when it was live. One statement; a missing one is
   * not an error.
   */
  logOut(
    id: string,
    secretHash: string,
    record: { at: Date; idleCutoff: Date; ip: string | null; userAgent: string | null },
  ): Promise<void>;
}
