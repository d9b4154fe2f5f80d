import type { Deps } from '../shared/deps.ts';

/** What an ID token or userinfo may say about a user (claims of OpenID Connect Core §5.1). */
export interface OidcAccount {
  /** The user id: stable, never reassigned, unlike the email (OIDC Core §5.7). */
  sub: string;
  email: string;
  name: string;
}

/**
 * The account behind a `sub` of this instance, or null when the instance has no such user or the
 * user is disabled: a disabled account yields no claims and no userinfo (SES-08).
 */
export async function findOidcAccount(deps: Deps, instanceId: string, sub: string): Promise<OidcAccount | null> {
  const user = await deps.stores.forInstance(instanceId).users.findById(sub);
  if (!user || user.status !== 'active') return null;
  return { sub: user.id, email: user.email, name: user.name };
}
