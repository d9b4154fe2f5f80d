import type { AppRule, ProtectedApp } from './protected-app.ts';

/**
 * An instance's protected applications (`stores.forInstance(id).protectedApps`): every statement
 * filters that instance, so another instance's application is never found, changed or deleted
 * through this one. Hosts are unique across all instances (the table's primary key).
 */
export interface ProtectedAppStore {
  /** Inserts the application (its client exists already) unless the instance has `max`: false when it had. */
  insert(app: ProtectedApp, max: number): Promise<boolean>;
  /**
   * Makes `hosts` the application's hosts: false when one of them is another application's (of
   * any instance); the caller's transaction then rolls back what this did.
   */
  replaceHosts(appId: string, hosts: string[]): Promise<boolean>;
  /** The application, or null when this instance has none with that id. */
  find(appId: string): Promise<ProtectedApp | null>;
  /** The instance's applications, oldest first, at most `limit`. */
  list(limit: number): Promise<ProtectedApp[]>;
  /** Replaces name, rules, cookie domain and `updatedAt`: the application after (hosts as stored), or null. */
  update(
    appId: string,
    change: { name: string; rules: AppRule[]; cookieDomain: string | null },
    updatedAt: Date,
  ): Promise<ProtectedApp | null>;
  /** Deletes the application with its hosts and forward sessions: what it was, or null. */
  delete(appId: string): Promise<ProtectedApp | null>;
}
