import type { Kysely } from 'kysely';
import type { TwoFactorStore } from '../domain/totp/two-factor-store.ts';
import type { Database } from './schema.ts';

/**
 * The second-factor writes of one instance's cold paths: single-row builder queries. The login
 * steps' writes (consumeStep, confirmEnrolment, consumeBackupCode) are one statement each in
 * auth-session-store.ts.
 */
export function twoFactorStore(
  db: Kysely<Database>,
  instanceId: string,
): Omit<TwoFactorStore, 'consumeStep' | 'confirmEnrolment' | 'consumeBackupCode'> {
  return {
    // The cold paths' rows (reset, disable, backup-code replacement): one row change each, run by
    // the use-cases inside stores.transaction after users.lockById.
    async deleteAuthenticator(userId) {
      const result = await db
        .deleteFrom('totp_credentials')
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async deleteBackupCode(userId) {
      const result = await db
        .deleteFrom('backup_codes')
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async replaceBackupCode(userId, mac, now) {
      await db
        .insertInto('backup_codes')
        .values({ instance_id: instanceId, user_id: userId, code_mac: mac, created_at: now })
        .onConflict((oc) =>
          oc
            .columns(['instance_id', 'user_id'])
            .doUpdateSet((eb) => ({ code_mac: eb.ref('excluded.code_mac'), created_at: eb.ref('excluded.created_at') })),
        )
        .execute();
    },

    async setEnabled(userId, enabled) {
      const result = await db
        .updateTable('users')
        .set({ two_factor_enabled: enabled })
        .where('instance_id', '=', instanceId)
        .where('id', '=', userId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
