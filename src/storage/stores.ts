/** Builds the domain's ports over one Kysely handle (a database or a transaction). */
import type { Kysely } from 'kysely';
import type { Stores } from '../domain/shared/stores.ts';
import type { Database } from './schema.ts';
import type { Engine } from './connect.ts';
import { instanceStore } from './instance-store.ts';
import { userStore } from './user-store.ts';
import { tenantSessionStore } from './session-store.ts';
import { devMailboxStore, outboxStore } from './outbox-store.ts';
import { operatorStore } from './operator-store.ts';
import {
  credentialStore,
  operatorCredentialLookup,
  operatorSessionLookup,
  operatorSessionWrites,
  tenantSessionRotate,
  twoFactorStepWrites,
  userSessionStore,
} from './auth-session-store.ts';
import { setupTokenStore } from './setup-token-store.ts';
import { throttleStore } from './throttle-store.ts';
import { housekeepingStore } from './housekeeping-store.ts';
import { twoFactorStore } from './two-factor-store.ts';
import { knownLocationStore } from './known-location-store.ts';
import { mailLogStore } from './mail-log-store.ts';
import { passwordStore } from './password-store.ts';
import { userDirectoryStore } from './user-directory-store.ts';
import { auditStore } from './audit-store.ts';
import { accountTokenStore, tenantAccountTokenStore } from './account-token-store.ts';
import { resetRequestStore } from './reset-request-store.ts';
import { machineTokenStore, oidcStateStore } from './oidc-state-store.ts';
import { signingKeyStore } from './signing-key-store.ts';
import { oidcClientStore } from './oidc-client-store.ts';
import { backchannelLogoutStore } from './backchannel-store.ts';
import { keyCheckStore } from './key-check-store.ts';
import { protectedAppStore } from './protected-app-store.ts';
import { forwardAuthStore } from './forward-auth-store.ts';
import { resealStore } from './reseal-store.ts';

/** `engine`: what `db` runs on (openDatabase's handle says); a store whose work differs by engine reads it. */
export function createStores(db: Kysely<Database>, engine: Engine): Stores {
  return {
    instances: instanceStore(db),
    credentials: credentialStore(db),
    sessions: userSessionStore(db),
    operators: { ...operatorStore(db), ...operatorCredentialLookup(db) },
    operatorSessions: { ...operatorSessionWrites(db), ...operatorSessionLookup(db) },
    outbox: outboxStore(db),
    devMailbox: devMailboxStore(db),
    setupTokens: setupTokenStore(db),
    throttles: throttleStore(db),
    housekeeping: housekeepingStore(db, engine),
    accountTokens: accountTokenStore(db),
    audit: auditStore(db),
    resetRequests: resetRequestStore(db),
    machineTokens: machineTokenStore(db),
    backchannelLogouts: backchannelLogoutStore(db),
    keyCheck: keyCheckStore(db),
    reseal: resealStore(db),
    forwardAuth: forwardAuthStore(db),
    forInstance: (instanceId) => ({
      instanceId,
      users: userStore(db, instanceId),
      sessions: { ...tenantSessionStore(db, instanceId), ...tenantSessionRotate(db, instanceId) },
      twoFactor: { ...twoFactorStore(db, instanceId), ...twoFactorStepWrites(db, instanceId) },
      knownLocations: knownLocationStore(db, instanceId),
      mail: mailLogStore(db, instanceId),
      passwords: passwordStore(db, instanceId),
      directory: userDirectoryStore(db, instanceId),
      accountTokens: tenantAccountTokenStore(db, instanceId),
      oidcState: oidcStateStore(db, instanceId),
      signingKeys: signingKeyStore(db, instanceId),
      oidcClients: oidcClientStore(db, instanceId),
      protectedApps: protectedAppStore(db, instanceId),
    }),
    transaction: (work) =>
      db.isTransaction ? work(createStores(db, engine)) : db.transaction().execute((tx) => work(createStores(tx, engine))),
  };
}
