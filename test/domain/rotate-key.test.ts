/**
 * `keyward rotate-key` (issue 15): with the new key first and the old one still listed, every
 * value sealed under the old key (TOTP secrets, OIDC signing keys and client secrets, mail) is
 * sealed again with the new one and the key check follows, so the new key alone then opens
 * everything and the old key alone is refused at start. On a database of its own: the rotation
 * reaches every instance's rows and the key check is database-wide.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { openIsolatedDatabase } from '../support/db.ts';
import { useTestDeps, givenInstance, deliveredTo, type TestDeps } from '../support/deps.ts';
import { bindAuthenticator } from '../support/known-locations.ts';
import { givenOidcClient } from '../support/oidc.ts';
import { createSecretBox, generateKeyText, parseKey, type SecretBox } from '../../src/crypto/secret-box.ts';
import { rotateSecretKey, SEALED_KINDS } from '../../src/domain/maintenance/rotate-key.ts';
import { KeyMismatchError, verifyKeyCheck } from '../../src/domain/maintenance/key-check.ts';
import { secretAssociatedData } from '../../src/domain/auth/session-rules.ts';
import { USER_PROFILE } from '../../src/domain/auth/profile.ts';
import { rotateSigningKeys } from '../../src/domain/oidc/signing-keys.ts';
import { createOutboxWorker } from '../../src/mail/outbox-worker.ts';
import { devMailboxTransport } from '../../src/mail/transport.ts';
import pino from 'pino';
import { systemClock } from '../../src/domain/shared/clock.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.ts';

const actor = { type: 'cli' as const, id: null, label: 'CLI: test' };

describe.each(engines())('keyward rotate-key (%s)', (engine) => {
  let base: TestDeps;
  let db: Kysely<Database>;
  useTestDeps(engine, (context) => ((base = context.deps), (db = context.database.db)), openIsolatedDatabase);

  const oldKey = parseKey(generateKeyText());
  const newKey = parseKey(generateKeyText());
  const withBox = (box: SecretBox): TestDeps => ({ ...base, secretBox: box });
  const oldOnly = createSecretBox([oldKey]);
  const rotating = createSecretBox([newKey, oldKey]);
  const newOnly = createSecretBox([newKey]);

  let secret: Buffer;
  let instanceId: string;
  let userId: string;
  let email: string;

  beforeAll(async () => {
    const deps = withBox(oldOnly);
    await verifyKeyCheck(deps.stores.keyCheck, oldOnly, new Date());
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    instanceId = instance.id;
    userId = admin.id;
    email = admin.email;
    // A bound authenticator (its backup-code mail is sealed with the old key), its secret sealed as enrolment seals it.
    await bindAuthenticator(deps, instance.id, admin.id, admin.email);
    secret = randomBytes(20);
    await db
      .updateTable('totp_credentials')
      .set({ secret_sealed: oldOnly.seal(secret, secretAssociatedData(USER_PROFILE, instance.id, admin.id)) })
      .where('user_id', '=', admin.id)
      .execute();
    // Its backup codes (bindAuthenticator's stand-in MAC) are gone, as once used or replaced: a
    // code MAC'd with an older key keeps the old check (the last test).
    await db.deleteFrom('backup_codes').where('user_id', '=', admin.id).execute();
    await givenOidcClient(deps, instance);
    await rotateSigningKeys(deps, instance.id);
  });

  it('re-seals every value with the new key, then the new key alone opens them and the old key alone is refused', async () => {
    const report = await rotateSecretKey(withBox(rotating), actor);
    expect(report.keyId).toBe(newKey.id);
    for (const kind of ['totp_secret', 'oidc_signing_key', 'oidc_client_secret', 'mail_text', 'mail_html'] as const)
      expect(report.kinds[kind].resealed, kind).toBeGreaterThan(0);
    for (const kind of SEALED_KINDS) expect(report.kinds[kind].unreadable, kind).toBe(0);
    expect(report.keyCheckUpdated).toBe(true);

    // The new key alone: the key check opens, the TOTP secret opens to the same bytes, the mail goes out.
    await verifyKeyCheck(base.stores.keyCheck, newOnly, new Date());
    await expect(verifyKeyCheck(base.stores.keyCheck, oldOnly, new Date())).rejects.toBeInstanceOf(KeyMismatchError);
    const row = await db.selectFrom('totp_credentials').select('secret_sealed').where('user_id', '=', userId).executeTakeFirstOrThrow();
    expect(row.secret_sealed.startsWith(`${newKey.id}.`)).toBe(true);
    expect(newOnly.open(row.secret_sealed, secretAssociatedData(USER_PROFILE, instanceId, userId))?.equals(secret)).toBe(true);
    const worker = createOutboxWorker(
      base.stores.outbox,
      devMailboxTransport(base.stores.devMailbox, base.clock),
      newOnly,
      // The real clock: the enrolment mail was queued at the real time (bindAuthenticator), after the fake clock's.
      systemClock,
      pino({ level: 'silent' }),
    );
    await worker.drain();
    expect((await deliveredTo(base, email)).length).toBeGreaterThan(0);
    expect(await base.stores.outbox.stats()).toMatchObject({ pending: 0, dead: 0 });

    // A second run finds nothing left under the old key.
    const again = await rotateSecretKey(withBox(rotating), actor);
    for (const kind of SEALED_KINDS) expect(again.kinds[kind], kind).toEqual({ resealed: 0, changedMeanwhile: 0, unreadable: 0 });
  });

  it('leaves a value no listed key opens as it is, and then keeps the key check', async () => {
    const stranger = createSecretBox([parseKey(generateKeyText())]);
    const { instance, admin } = await givenInstance(withBox(newOnly));
    await bindAuthenticator(withBox(newOnly), instance.id, admin.id, admin.email);
    const foreign = stranger.seal(randomBytes(20), secretAssociatedData(USER_PROFILE, instance.id, admin.id));
    await db.updateTable('totp_credentials').set({ secret_sealed: foreign }).where('user_id', '=', admin.id).execute();
    const newer = parseKey(generateKeyText());
    const report = await rotateSecretKey(withBox(createSecretBox([newer, newKey])), actor);
    expect(report.kinds.totp_secret.unreadable).toBe(1);
    expect([report.keyCheckUpdated, report.oldKeyRemovable]).toEqual([false, false]);
    // Still the previous key's check: a process with the newer key alone would not open the rest.
    await expect(verifyKeyCheck(base.stores.keyCheck, createSecretBox([newer]), new Date())).rejects.toBeInstanceOf(KeyMismatchError);
    const kept = await db.selectFrom('totp_credentials').select('secret_sealed').where('user_id', '=', admin.id).executeTakeFirstOrThrow();
    expect(kept.secret_sealed).toBe(foreign);
  });

  it("keeps the old key check while a backup code is MAC'd with an older key, and says the old key must stay", async () => {
    const deps = withBox(newOnly);
    const { instance, admin } = await givenInstance(deps);
    await db
      .insertInto('backup_codes')
      .values({ instance_id: instance.id, user_id: admin.id, code_mac: oldOnly.mac('ABCD-EFGH'), created_at: new Date() })
      .execute();
    const newer = parseKey(generateKeyText());
    const report = await rotateSecretKey(withBox(createSecretBox([newer, newKey, oldKey])), actor);
    expect(report.backupCodesUnderOlderKeys).toBeGreaterThanOrEqual(1);
    expect([report.keyCheckUpdated, report.oldKeyRemovable]).toEqual([false, false]);
    await expect(verifyKeyCheck(base.stores.keyCheck, createSecretBox([newer]), new Date())).rejects.toBeInstanceOf(KeyMismatchError);
  });
});
