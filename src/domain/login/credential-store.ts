import type { Instance } from '../instance/instance.ts';
import type { UserCredentials } from '../account/user.ts';
import type { ThrottleKey, ThrottleStates } from '../throttle/throttle.ts';
import type { PresentedLocation } from '../known-location/known-location.ts';

export interface LoginLookup {
  /** null when the instance or the user does not exist; disabled users are returned. */
  account: { instance: Instance; user: UserCredentials; associated: boolean } | null;
  /** States of the throttle keys asked for, whether or not the account exists. */
  throttles: ThrottleStates;
  /**
   * The user's unexpired known locations among the presented device ids, each also younger than
   * the instance's current trust duration: an administrator lowering "trusted for N days" shortens
   * the trust already given (docs/two-factor.md, Instance settings), not only the next one.
   */
  locations: PresentedLocation[];
}

/** The login lookup: one statement from (instance slug, email) to everything step 1 decides on. */
export interface CredentialStore {
  findForLogin(query: {
    instanceSlug: string;
    emailKey: string;
    throttleKeys: ThrottleKey[];
    deviceIds: string[];
    now: Date;
  }): Promise<LoginLookup>;
}
