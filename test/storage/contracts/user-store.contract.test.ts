import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { DomainError } from '../../../src/domain/shared/errors.ts';
import { randomId } from '../../../src/crypto/random.ts';

const newUser = (email: string) => ({
  id: randomId(),
  email,
  name: 'N',
  role: 'member' as const,
  passwordHash: null,
  passwordChangedAt: null,
});

describe.each(engines())('UserStore on %s', (engine) => {
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ deps } = t));

  it('finds a user by email in any case', async () => {
    const { instance } = await givenInstance(deps);
    const users = deps.stores.forInstance(instance.id).users;
    const created = await users.insert(newUser('Grace.Hopper@Example.test'));
    expect((await users.findByEmail('grace.hopper@example.TEST'))?.id).toBe(created.id);
    expect(created.email).toBe('Grace.Hopper@Example.test');
  });

  it('refuses a second user with the same email in another case as a conflict', async () => {
    const { instance } = await givenInstance(deps);
    const users = deps.stores.forInstance(instance.id).users;
    await users.insert(newUser('dup@example.test'));
    const error = await users.insert(newUser('DUP@example.test')).catch((e) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('conflict');
  });

  it('keeps the same email in two instances as two independent users', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const inA = await deps.stores.forInstance(a.instance.id).users.insert(newUser('same@example.test'));
    const inB = await deps.stores.forInstance(b.instance.id).users.insert(newUser('same@example.test'));
    expect(inA.id).not.toBe(inB.id);
  });

  it('does not see users of another instance', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const user = await deps.stores.forInstance(a.instance.id).users.insert(newUser('only-a@example.test'));
    const other = deps.stores.forInstance(b.instance.id).users;
    expect(await other.findById(user.id)).toBeNull();
    expect(await other.findByEmail('only-a@example.test')).toBeNull();
    expect(await other.findExistingEmails(['only-a@example.test'])).toEqual([]);
  });

  it('locks and returns only the active administrators of its own instance', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const users = deps.stores.forInstance(a.instance.id).users;
    const second = await users.insert({ ...newUser('second-admin@example.test'), role: 'admin' });
    const disabled = await users.insert({ ...newUser('gone-admin@example.test'), role: 'admin' });
    await users.update(disabled.id, { status: 'disabled' });
    await users.insert(newUser('plain-member@example.test'));
    const locked = await deps.stores.transaction((stores) => stores.forInstance(a.instance.id).users.lockActiveAdmins());
    expect(locked.sort()).toEqual([a.admin.id, second.id].sort());
    expect(locked).not.toContain(b.admin.id);
  });

  it('inserts only missing users and reports which were inserted', async () => {
    const { instance } = await givenInstance(deps);
    const users = deps.stores.forInstance(instance.id).users;
    await users.insert(newUser('old@example.test'));
    const inserted = await users.insertMissing([newUser('OLD@example.test'), newUser('new@example.test')]);
    expect(inserted).toEqual(['new@example.test']);
    expect(await users.findExistingEmails(['old@example.test', 'NEW@example.test', 'none@example.test'])).toHaveLength(2);
  });

  it('stores a name with a lone surrogate as insert does (U+FFFD), in a batch of several, without failing the others', async () => {
    const { instance } = await givenInstance(deps);
    const users = deps.stores.forInstance(instance.id).users;
    const one = await users.insert({ ...newUser('one@example.test'), name: 'Half \uD83D pair' });
    const inserted = await users.insertMissing([
      { ...newUser('two@example.test'), name: 'Half \uD83D pair' },
      newUser('three@example.test'),
    ]);
    expect(inserted).toEqual(['two@example.test', 'three@example.test']);
    const two = await users.findByEmail('two@example.test');
    expect(two?.name).toBe(one.name);
    expect(two?.name).toBe('Half \uFFFD pair');
  });

  it('changes name and email (email_taken for another user’s email in any case), says who has a password, and deletes only its own instance’s users', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const users = deps.stores.forInstance(a.instance.id).users;
    const other = deps.stores.forInstance(b.instance.id).users;
    const created = await users.insert(newUser('before@example.test'));
    const inB = await other.insert(newUser('before@example.test'));
    expect(await users.hasPassword(created.id)).toBe(false);
    expect(await users.hasPassword(a.admin.id)).toBe(true);
    expect(await users.hasPassword(inB.id)).toBeNull();
    const updated = await users.update(created.id, { name: 'After', email: 'After@Example.test' });
    expect(updated).toMatchObject({ name: 'After', email: 'After@Example.test', invited: true });
    expect((await users.findByEmail('after@example.test'))?.id).toBe(created.id);
    const taken = await users.update(created.id, { email: a.admin.email.toUpperCase() }).catch((e) => e);
    expect(taken).toBeInstanceOf(DomainError);
    expect(taken.code).toBe('email_taken');
    expect(await users.update(inB.id, { name: 'Not yours' })).toBeNull();
    expect(await users.delete(inB.id)).toBe(false);
    expect((await other.findById(inB.id))?.name).toBe('N');
    expect(await users.delete(created.id)).toBe(true);
    expect(await users.findById(created.id)).toBeNull();
    expect(await users.delete(created.id)).toBe(false);
  });
});
