/**
 * The Users list of one instance: keyset pages, prefix search, the 2FA status filter and the
 * counters, each checked against a recount of the users as the domain sees them
 * (effectiveTwoFactorStatus, the one home of the 2FA status).
 */
import { describe, expect, it } from 'vitest';
import { engines } from '../../support/db.ts';
import { givenInstance, useTestDeps, type TestDeps } from '../../support/deps.ts';
import { bindAuthenticator } from '../../support/known-locations.ts';
import { randomId } from '../../../src/crypto/random.ts';
import { DEFAULT_POLICY, type PasswordPolicy } from '../../../src/domain/policy/policy.ts';
import { effectiveTwoFactorStatus, type TwoFactorStatus } from '../../../src/domain/policy/two-factor-rules.ts';
import { countByStatus, pairsFor } from '../../../src/domain/admin/list-users.ts';
import type { ListedUser, TwoFactorPair, UserPageQuery, UserSort } from '../../../src/domain/admin/user-directory.ts';
import type { Instance } from '../../../src/domain/instance/instance.ts';
import type { DatabaseHandle } from '../../../src/storage/connect.ts';
import { sql } from 'kysely';

type Person = { name: string; email: string; twoFactor?: TwoFactorStatus; disabled?: boolean };

const policyWith = (autoEnable: boolean): PasswordPolicy => ({ ...DEFAULT_POLICY, twoFactor: { ...DEFAULT_POLICY.twoFactor, autoEnable } });
const STATUSES: TwoFactorStatus[] = ['active', 'pending', 'off'];

describe.each(engines())('UserDirectoryStore on %s', (engine) => {
  let deps: TestDeps;
  let database: DatabaseHandle;
  useTestDeps(engine, (t) => ({ deps, database } = t));

  /** Users in the given states, written through the ports that change them (insert, enrolment, the 2FA switch, disabling). */
  async function givenPeople(instance: Instance, people: Person[]): Promise<string[]> {
    const tenant = deps.stores.forInstance(instance.id);
    const ids: string[] = [];
    for (const person of people) {
      const user = await tenant.users.insert({ id: randomId(), ...person, role: 'member', passwordHash: null, passwordChangedAt: null });
      if (person.twoFactor === 'active') await bindAuthenticator(deps, instance.id, user.id, user.email);
      if (person.twoFactor === 'pending') expect(await tenant.twoFactor.setEnabled(user.id, true)).toBe(true);
      if (person.disabled) await tenant.users.update(user.id, { status: 'disabled' });
      ids.push(user.id);
    }
    return ids;
  }

  /** An instance with everyone: each 2FA state, active and disabled. */
  async function givenPopulation(prefix = 'p') {
    const { instance, admin } = await givenInstance(deps);
    const at = `@${instance.slug}.test`;
    const ids = await givenPeople(instance, [
      { name: 'Zoe Active', email: `${prefix}zoe${at}`, twoFactor: 'active' },
      { name: 'Yann Pending', email: `${prefix}yann${at}`, twoFactor: 'pending' },
      { name: 'Xavier Off', email: `${prefix}xavier${at}`, twoFactor: 'off' },
      { name: 'Wanda Off', email: `${prefix}wanda${at}`, twoFactor: 'off', disabled: true },
      { name: 'Victor Active', email: `${prefix}victor${at}`, twoFactor: 'active', disabled: true },
      { name: 'Uma Pending', email: `${prefix}uma${at}`, twoFactor: 'pending', disabled: true },
    ]);
    return { instance, admin, ids: [admin.id, ...ids], directory: deps.stores.forInstance(instance.id).directory };
  }

  /** Each user's own switch and app as the user store reads them (not the directory's mirror). */
  async function truth(instance: Instance, ids: string[]) {
    const users = deps.stores.forInstance(instance.id).users;
    const out = new Map<string, TwoFactorPair>();
    for (const id of ids) {
      const account = (await users.findAccount(id))!;
      out.set(id, { enabled: account.user.twoFactorEnabled, associated: account.totp !== null });
    }
    return out;
  }

  const query = (q: Partial<UserPageQuery> = {}): UserPageQuery => ({
    pairs: null,
    prefix: null,
    sort: 'email',
    after: null,
    limit: 1000,
    ...q,
  });

  /** Every page in turn, each continuing after the last row's own key (the cursor list-users.ts builds). */
  async function walk(directory: ReturnType<TestDeps['stores']['forInstance']>['directory'], q: Partial<UserPageQuery>, size: number) {
    const rows: ListedUser[] = [];
    for (let after: UserPageQuery['after'] = null; ;) {
      // A cursor that stops moving would repeat one page forever.
      if (rows.length > 10_000) throw new Error('the pages never end');
      const page = await directory.page(query({ ...q, after, limit: size }));
      rows.push(...page);
      if (page.length < size) return rows;
      const last = page.at(-1)!;
      after = { key: last.sortKey, id: last.id };
    }
  }

  const recount = (pairs: TwoFactorPair[]) => {
    const counts = new Map<string, number>();
    for (const p of pairs) counts.set(`${p.enabled}/${p.associated}`, (counts.get(`${p.enabled}/${p.associated}`) ?? 0) + 1);
    return counts;
  };
  const stored = async (directory: ReturnType<TestDeps['stores']['forInstance']>['directory']) =>
    new Map((await directory.counts()).filter((c) => c.n !== 0).map((c) => [`${c.enabled}/${c.associated}`, c.n]));

  /** The expected order's key, for ASCII names and addresses only (there JavaScript and PostgreSQL lower-case alike). */
  const asciiKey = (user: ListedUser, sort: UserSort) => (sort === 'email' ? user.email : user.name).toLowerCase();

  it('walks every user once in email order and in name order, page after page, ties broken by id', async () => {
    const { instance, directory, ids } = await givenPopulation();
    const at = `@${instance.slug}.test`;
    const twins = await givenPeople(instance, [
      { name: 'Sam Same', email: `sam1${at}` },
      { name: 'sam same', email: `sam2${at}` },
      { name: 'Sam Same', email: `Sam3${at}` },
    ]);
    const everyone = await directory.page(query());
    expect(everyone.map((u) => u.id).sort()).toEqual([...ids, ...twins].sort());
    for (const sort of ['email', 'name'] as UserSort[]) {
      const expected = [...everyone]
        .sort((x, y) => (asciiKey(x, sort) < asciiKey(y, sort) ? -1 : asciiKey(x, sort) > asciiKey(y, sort) ? 1 : x.id < y.id ? -1 : 1))
        .map((u) => u.id);
      expect((await directory.page(query({ sort }))).map((u) => u.id)).toEqual(expected);
      for (const size of [1, 2, 3]) expect((await walk(directory, { sort }, size)).map((u) => u.id)).toEqual(expected);
    }
  });

  // The name order's key is PostgreSQL's lower(name); a cursor or search prefix lower-cased by
  // JavaScript's toLowerCase() differed from it: 'İ' is 'i' in PostgreSQL and 'i̇' (i + U+0307) in
  // JavaScript, a final 'Σ' is 'σ' and 'ς'. A page ending at "İlker" continued after 'i̇lker', above
  // every 'ib…'–'iz…', so "Ingrid" was never listed; a page ending at "ΟΔΥΣΣΕΑΣ" continued after
  // 'οδυσσεας', below its own key, so it was listed again (and again, when alone on its page).
  // Now the row carries its key (sortKey) and the store lower-cases the prefix.
  it('walks every user once in name order when a name lower-cases differently in JavaScript and PostgreSQL', async () => {
    const { instance, admin } = await givenInstance(deps);
    const at = `@${instance.slug}.test`;
    const ids = await givenPeople(instance, [
      { name: 'Ida', email: `ida${at}` },
      { name: 'İlker Aydın', email: `ilker${at}` },
      { name: 'Ingrid', email: `ingrid${at}` },
      { name: 'ΟΔΥΣΣΕΑΣ', email: `odysseas${at}` },
      { name: 'Zoe', email: `zoe${at}` },
    ]);
    const directory = deps.stores.forInstance(instance.id).directory;
    const all = await directory.page(query({ sort: 'name' }));
    expect(all.map((u) => u.id).sort()).toEqual([admin.id, ...ids].sort());
    for (const size of [2, 3])
      expect(
        (await walk(directory, { sort: 'name' }, size)).map((u) => u.name),
        `pages of ${size}`,
      ).toEqual(all.map((u) => u.name));
  });

  it('finds a user by the name or the email as typed when it lower-cases differently in JavaScript and PostgreSQL', async () => {
    const { instance } = await givenInstance(deps);
    const [ilker, ipek, odysseas] = await givenPeople(instance, [
      { name: 'İlker Aydın', email: `aydin@${instance.slug}.test` },
      { name: 'Pat', email: `İpek@${instance.slug}.test` },
      { name: 'ΟΔΥΣΣΕΑΣ', email: `odysseas@${instance.slug}.test` },
    ]);
    const directory = deps.stores.forInstance(instance.id).directory;
    const found = async (prefix: string) => (await directory.page(query({ prefix, sort: 'name' }))).map((u) => u.id);
    // What listInstanceUsers passes for ?q=İlker: as typed, not lower-cased. The name matches by
    // PostgreSQL's lower(), the address by emailKey (JavaScript's), each its own key's.
    expect(await found('İlker')).toEqual([ilker]);
    expect(await found('ilker aydın')).toEqual([ilker]);
    expect(await found('İpek')).toEqual([ipek]);
    expect(await found('ΟΔΥΣΣΕΑΣ')).toEqual([odysseas]);
    expect(await found('οδυσσ')).toEqual([odysseas]);
  });

  it('searches by a prefix of the email or the name in any case, each user once, wildcards taken literally', async () => {
    const { instance } = await givenInstance(deps);
    const at = `@${instance.slug}.test`;
    const [robin, hood, hoodie, underscore, plain] = await givenPeople(instance, [
      { name: 'Robin Locksley', email: `robin${at}` },
      { name: 'Zed', email: `hood${at}` },
      { name: 'Hoodie Smith', email: `smith${at}` },
      { name: 'Una', email: `a_b${at}` },
      { name: 'Axel', email: `axb${at}` },
    ]);
    const directory = deps.stores.forInstance(instance.id).directory;
    const found = async (prefix: string, q: Partial<UserPageQuery> = {}) =>
      (await directory.page(query({ prefix, ...q }))).map((u) => u.id);
    expect(await found('rob')).toEqual([robin]);
    expect(await found('ROB')).toEqual([robin]);
    expect(await found('hoo')).toEqual([hood, hoodie]);
    expect(await found('hoo', { sort: 'name' })).toEqual([hoodie, hood]);
    expect(await walk(directory, { prefix: 'hoo' }, 1)).toEqual(await directory.page(query({ prefix: 'hoo' })));
    expect(await found('a_')).toEqual([underscore]);
    expect(await found('a%')).toEqual([]);
    expect(await found('ax')).toEqual([plain]);
    expect(await found('nobody')).toEqual([]);
  });

  it('finds a word of three or more characters anywhere in the email or name, and counts the matches up to a cap', async () => {
    const { instance } = await givenInstance(deps);
    const at = `@${instance.slug}.test`;
    const [grace, kathleen, odd] = await givenPeople(instance, [
      { name: 'Grace Hopper', email: `grace${at}` },
      { name: 'Kathleen Booth-HOPPER', email: `kb${at}` },
      { name: 'Odd One', email: `x%_y${at}` },
      { name: 'Alan Turing', email: `alan${at}` },
    ]);
    const directory = deps.stores.forInstance(instance.id).directory;
    const found = async (prefix: string) => (await directory.page(query({ prefix }))).map((u) => u.id);
    expect(await found('hopper')).toEqual([grace, kathleen]);
    expect(await found('opp')).toEqual([grace, kathleen]);
    expect(await found('%_y')).toEqual([odd]);
    expect(await found('%%%')).toEqual([]);
    // Two characters: a prefix only ("pp" is inside "Hopper" but starts nothing).
    expect(await found('pp')).toEqual([]);
    expect(await directory.countMatches({ pairs: null, prefix: 'hopper' }, 10)).toBe(2);
    // The four and the instance's administrator (admin@<slug>.test).
    expect(await directory.countMatches({ pairs: null, prefix: instance.slug }, 10)).toBe(5);
    // At most cap + 1 are counted.
    expect(await directory.countMatches({ pairs: null, prefix: instance.slug }, 2)).toBe(3);
    expect(await directory.countMatches({ pairs: null, prefix: 'gr' }, 10)).toBe(1);
    expect(await directory.countMatches({ pairs: [], prefix: 'hopper' }, 10)).toBe(0);
    // Another instance's users with the same words are neither listed nor counted.
    const { instance: other } = await givenInstance(deps);
    await givenPeople(other, [{ name: 'Grace Hopper', email: `grace${at}` }]);
    expect(await found('hopper')).toEqual([grace, kathleen]);
    expect(await directory.countMatches({ pairs: null, prefix: 'hopper' }, 10)).toBe(2);
  });

  for (const autoEnable of [false, true]) {
    it(`filters by 2FA status as the domain’s one rule says (auto-enable ${autoEnable ? 'on' : 'off'})`, async () => {
      const { instance, directory, ids } = await givenPopulation();
      const policy = policyWith(autoEnable);
      const users = await truth(instance, ids);
      for (const status of STATUSES) {
        const expected = ids.filter((id) => effectiveTwoFactorStatus(policy, users.get(id)!) === status).sort();
        const listed = await directory.page(query({ pairs: pairsFor(status, policy) }));
        expect(listed.map((u) => u.id).sort(), status).toEqual(expected);
        // The rows carry the state the status was derived from, as the user store has it.
        for (const row of listed) expect({ enabled: row.twoFactorEnabled, associated: row.associated }).toEqual(users.get(row.id));
        expect((await walk(directory, { pairs: pairsFor(status, policy), sort: 'name' }, 2)).map((u) => u.id).sort()).toEqual(expected);
      }
      expect(await directory.page(query({ pairs: [] }))).toEqual([]);
      // Disabled users are listed (and counted) like the others: the filter is by 2FA status only.
      expect((await directory.page(query())).filter((u) => u.status === 'disabled')).toHaveLength(3);
    });
  }

  it('counts what a recount finds, through an enrolment, 2FA turned off and on, and a new user', async () => {
    const { instance, directory, ids } = await givenPopulation();
    const tenant = deps.stores.forInstance(instance.id);
    const check = async (all: string[]) => {
      const users = await truth(instance, all);
      expect(await stored(directory)).toEqual(recount([...users.values()]));
      for (const autoEnable of [false, true]) {
        const policy = policyWith(autoEnable);
        const byStatus = { active: 0, pending: 0, off: 0 };
        for (const pair of users.values()) byStatus[effectiveTwoFactorStatus(policy, pair)] += 1;
        expect(countByStatus(await directory.counts(), policy)).toEqual(byStatus);
      }
    };
    await check(ids);
    // Pending sets up, an active user turns 2FA off (app removed, switch off), an off user turns it on.
    const [, zoe, yann, xavier] = ids as [string, string, string, string];
    await bindAuthenticator(deps, instance.id, yann, `yann@${instance.slug}.test`);
    await deps.stores.transaction(async (stores) => {
      const inTx = stores.forInstance(instance.id);
      await inTx.users.lockById(zoe);
      await inTx.twoFactor.deleteAuthenticator(zoe);
      await inTx.twoFactor.setEnabled(zoe, false);
    });
    await tenant.twoFactor.setEnabled(xavier, true);
    await check(ids);
    const [added] = await givenPeople(instance, [{ name: 'New Comer', email: `new@${instance.slug}.test` }]);
    await check([...ids, added!]);
  });

  // Migration 0033: the counters move once per statement that adds or removes users (an import's
  // batch is one INSERT of 500), by what each statement's rows were.
  it('keeps the counts right over statements that add or remove many users at once, of several instances, next to a conflict', async () => {
    const a = await givenInstance(deps);
    const b = await givenInstance(deps);
    const newUser = (instance: Instance, i: number) => ({
      id: randomId(),
      email: `bulk-${i}@${instance.slug}.test`,
      name: `Bulk ${i}`,
      role: 'member' as const,
      passwordHash: null,
      passwordChangedAt: null,
    });
    const [pendingInA] = await givenPeople(a.instance, [
      { name: 'Pending Person', email: `bulk-0@${a.instance.slug}.test`, twoFactor: 'pending' },
    ]);
    // One statement: 30 new users, and one whose address exists (skipped, so not counted).
    const inserted = await deps.stores
      .forInstance(a.instance.id)
      .users.insertMissing(Array.from({ length: 31 }, (_, i) => newUser(a.instance, i)));
    expect(inserted).toHaveLength(30);
    await deps.stores.forInstance(b.instance.id).users.insertMissing(Array.from({ length: 7 }, (_, i) => newUser(b.instance, i)));
    const everyone = async (instance: Instance) => (await deps.stores.forInstance(instance.id).directory.page(query())).map((u) => u.id);
    const check = async (instance: Instance) =>
      expect(await stored(deps.stores.forInstance(instance.id).directory)).toEqual(
        recount([...(await truth(instance, await everyone(instance))).values()]),
      );
    await check(a.instance);
    await check(b.instance);
    // One DELETE of users of both instances, the pending one among them.
    const idsA = await everyone(a.instance);
    const idsB = await everyone(b.instance);
    const gone = [pendingInA!, ...idsA.filter((id) => id !== pendingInA).slice(0, 9), ...idsB.slice(0, 3)];
    const deleted = await sql`delete from users where id in (${sql.join(gone)})`.execute(database.db);
    expect(Number(deleted.numAffectedRows)).toBe(gone.length);
    await check(a.instance);
    await check(b.instance);
  });

  it('keeps the counts right when many users turn 2FA on and off at once, deadlocking no one', async () => {
    const { instance } = await givenInstance(deps);
    const tenant = deps.stores.forInstance(instance.id);
    const at = `@${instance.slug}.test`;
    // Added at once too: every insert counts on the same counter row.
    const users = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        tenant.users.insert({
          id: randomId(),
          email: `u${i}${at}`,
          name: `U ${i}`,
          role: 'member',
          passwordHash: null,
          passwordChangedAt: null,
        }),
      ),
    );
    // Every round, half turn it on while the other half turn it off: each change moves one user
    // from one counter row to another, half of them in each direction.
    for (let round = 0; round < 6; round += 1)
      await Promise.all(users.map((user, i) => tenant.twoFactor.setEnabled(user.id, (i + round) % 2 === 0)));
    const all = (await deps.stores.forInstance(instance.id).directory.page(query())).map((u) => u.id);
    expect(await stored(tenant.directory)).toEqual(recount([...(await truth(instance, all)).values()]));
  });

  it('never lists, finds or counts another instance’s users, even with the same addresses and names', async () => {
    const a = await givenPopulation('same-');
    const before = await stored(a.directory);
    const { instance: otherInstance } = await givenInstance(deps);
    // B's users carry A's exact addresses and names.
    const people = (await a.directory.page(query())).map((u) => ({ name: u.name, email: u.email, twoFactor: 'pending' as const }));
    const inB = await givenPeople(otherInstance, people);
    const listedInA = [
      ...(await a.directory.page(query())),
      ...(await a.directory.page(query({ prefix: 'same-' }))),
      ...(await a.directory.page(query({ prefix: 'zoe', sort: 'name' }))),
      ...(await walk(a.directory, { pairs: pairsFor('pending', DEFAULT_POLICY) }, 1)),
    ];
    expect(listedInA.every((u) => a.ids.includes(u.id) && u.instanceId === a.instance.id)).toBe(true);
    expect(listedInA.some((u) => inB.includes(u.id))).toBe(false);
    expect(await stored(a.directory)).toEqual(before);
    const b = deps.stores.forInstance(otherInstance.id).directory;
    expect(await stored(b)).toEqual(
      recount([
        ...(
          await truth(
            otherInstance,
            (await b.page(query())).map((u) => u.id),
          )
        ).values(),
      ]),
    );
  });

  it('asks each active user whose own 2FA is off to turn it on, once per interval, by one mail each', async () => {
    const { instance, admin, directory } = await givenPopulation('ask-');
    const other = await givenPopulation('ask-');
    const mail = { subject: `Turn on 2FA ${instance.slug}`, text: 'Please turn on two-factor authentication.', html: '<p>Please.</p>' };
    const now = new Date();
    const weekAgo = new Date(now.getTime() - 7 * 86400_000);
    expect(await directory.requestTwoFactor(mail, now, weekAgo)).toBe(2);
    const asked = async (instanceId: string) =>
      (await deps.stores.forInstance(instanceId).mail.list(null, 100)).filter((m) => m.subject === mail.subject).map((m) => m.to);
    // The admin and Xavier: active, own switch off. Not the pending, the active, nor anyone disabled.
    expect((await asked(instance.id)).sort()).toEqual([admin.email, `ask-xavier@${instance.slug}.test`].sort());
    expect(await asked(other.instance.id)).toEqual([]);
    // Asked at `now`: not again while the interval started at or after it, again once it started later.
    expect(await directory.requestTwoFactor(mail, new Date(now.getTime() + 1000), now)).toBe(0);
    expect(await directory.requestTwoFactor(mail, new Date(now.getTime() + 2000), new Date(now.getTime() + 1))).toBe(2);
    expect(await asked(instance.id)).toHaveLength(4);
  });

  it('keeps daily adoption counts by the effective status of the day, oldest first, for its own instance only', async () => {
    const { instance, directory, ids } = await givenPopulation();
    const { directory: otherDirectory } = await givenPopulation();
    // Days no other test file snapshots: a snapshot rewrites the day of every instance.
    const [day1, day2] = ['2000-02-28', '2000-02-29'];
    const effective = async (autoEnable: boolean) => countByStatus(await directory.counts(), policyWith(autoEnable));
    await deps.stores.housekeeping.snapshotAdoption(day1);
    const first = await effective(false);
    await deps.stores.instances.updatePolicy(instance.id, policyWith(true));
    await bindAuthenticator(deps, instance.id, ids[3]!, 'x@example.test');
    await deps.stores.housekeeping.snapshotAdoption(day2);
    const second = await effective(true);
    expect(await directory.adoption(new Date(`${day1}T00:00:00Z`))).toEqual([
      { day: day1, ...first },
      { day: day2, ...second },
    ]);
    expect(await directory.adoption(new Date(`${day2}T12:00:00Z`))).toEqual([{ day: day2, ...second }]);
    expect(await otherDirectory.adoption(new Date(`${day1}T00:00:00Z`))).toEqual([
      { day: day1, ...countByStatus(await otherDirectory.counts(), DEFAULT_POLICY) },
      { day: day2, ...countByStatus(await otherDirectory.counts(), DEFAULT_POLICY) },
    ]);
  });
});
