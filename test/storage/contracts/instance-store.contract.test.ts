import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { givenInstance, uniqueSlug, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { randomId } from '../../../src/crypto/random.ts';
import { emailKey } from '../../../src/domain/account/user.ts';

describe.each(engines())('InstanceStore and CredentialStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  it('finds an instance by slug and reports that instances exist', async () => {
    const { instance } = await givenInstance(deps, 'enterprise');
    const found = await deps.stores.instances.findBySlug(instance.slug);
    expect(found).toMatchObject({ id: instance.id, plan: 'enterprise', name: instance.name });
    expect(await deps.stores.instances.any()).toBe(true);
    expect(await deps.stores.instances.findBySlug(uniqueSlug('none'))).toBeNull();
  });

  it('searches names in any case as the database lower-cases them, letters JavaScript lower-cases otherwise included', async () => {
    // 'İ' lower-cases to two code points in JavaScript and to one in PostgreSQL, and a final 'Σ'
    // to 'ς' and 'σ': the typed prefix is lower-cased by the same lower() as the name.
    const { instance } = await givenInstance(deps);
    for (const [name, typed] of [
      [`İlker ${instance.slug}`, `İLKER ${instance.slug}`],
      [`ΟΔΟΣ ${instance.slug}`, `ΟΔΟΣ ${instance.slug}`],
      [`Straße ${instance.slug}`, `straße ${instance.slug}`],
    ] as const) {
      const other = { ...instance, id: randomId(), slug: uniqueSlug('s'), name };
      await deps.stores.instances.insert(other);
      expect(
        (await deps.stores.instances.search(typed, 10)).map((i) => i.id),
        name,
      ).toEqual([other.id]);
      expect(
        (await deps.stores.instances.search(name, 10)).map((i) => i.id),
        name,
      ).toEqual([other.id]);
    }
  });

  it('refuses a duplicate slug as a conflict', async () => {
    const { instance } = await givenInstance(deps);
    const error = await deps.stores.instances.insert({ ...instance, id: randomId(), name: 'x' }).catch((e) => e);
    expect(error.code).toBe('conflict');
  });

  it('finds login credentials only within the named instance', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const lookup = (slug: string) =>
      deps.stores.credentials.findForLogin({
        instanceSlug: slug,
        emailKey: emailKey(a.admin.email),
        throttleKeys: [],
        deviceIds: [],
        now: new Date(),
      });
    const found = (await lookup(a.instance.slug)).account;
    expect(found?.user.id).toBe(a.admin.id);
    expect(found?.user.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(found?.instance.id).toBe(a.instance.id);
    expect(found?.instance.knownLocations).toEqual({ trustDays: 30, requireSameNetwork: true });
    expect(found?.associated).toBe(false);
    // The other instance's slug with this admin's email: no account there.
    expect((await lookup(b.instance.slug)).account).toBeNull();
  });
});
