import type { Instance } from '../instance/instance.ts';
import type { UserCredentials } from '../account/user.ts';

/** The login lookup: one statement from (instance slug, email) to the account. */
export interface CredentialStore {
  /** null when the instance or the user does not exist; disabled users are returned. */
  findForLogin(instanceSlug: string, email: string): Promise<{ instance: Instance; user: UserCredentials } | null>;
}
