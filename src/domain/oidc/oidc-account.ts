import type { Deps } from '../shared/deps.ts';
import type { Instance } from '../instance/instance.ts';
import type { Role } from '../account/user.ts';

/** The private claim names of SPEC §6: collision-resistant URIs (RFC 7519 §4.2). */
export const ROLE_CLAIM = 'https://keyward/claims/role';
export const INSTANCE_CLAIM = 'https://keyward/claims/instance';

/** What an ID token or userinfo may say about a user (claims of OpenID Connect Core §5.1). */
export interface OidcAccount {
  /** The user id: stable, never reassigned, unlike the email (OIDC Core §5.7). */
  sub: string;
  email: string;
  name: string;
  role: Role;
  /** The instance's slug, as in the issuer. */
  instance: string;
}

/**
 * The account behind a `sub` of this instance, or null when the instance has no such user or the
 * user is disabled: a disabled account yields no claims and no userinfo (SES-08). Read at every
 * use (ID token, userinfo): a role changed by an admin shows in the next token.
 */
export async function findOidcAccount(deps: Deps, instance: Pick<Instance, 'id' | 'slug'>, sub: string): Promise<OidcAccount | null> {
  const user = await deps.stores.forInstance(instance.id).users.findById(sub);
  if (!user || user.status !== 'active') return null;
  return { sub: user.id, email: user.email, name: user.name, role: user.role, instance: instance.slug };
}

/** The claims of an account: keyward does not record whether an address was verified, so no `email_verified`. */
export function accountClaims(account: OidcAccount): { sub: string } & Record<string, string> {
  return { sub: account.sub, email: account.email, name: account.name, [ROLE_CLAIM]: account.role, [INSTANCE_CLAIM]: account.instance };
}
