import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { enrolTotp } from '../support/two-factor.ts';
import { oathtool } from '../support/oathtool.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';

describe.each(engines())('the Users list on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  /** An instance with an admin and users in every 2FA status. */
  async function population() {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const names = ['Zoe Active', 'Yann Pending', 'Xavier Off', 'Wanda Off', 'Victor Active'];
    const users = [];
    for (const name of names) {
      const email = `${name.split(' ')[0]!.toLowerCase()}@${instance.slug}.test`;
      const { createUser } = await import('../../src/domain/account/create-user.ts');
      users.push(await createUser(deps, { instanceSlug: instance.slug, email, name, role: 'member', password: PASSWORD }));
    }
    for (const user of users.filter((u) => u.name.endsWith('Active'))) {
      const c = new Client(app);
      await c.login(instance.slug, user.email, PASSWORD);
      await enrolTotp(c, deps);
    }
    const pending = new Client(app);
    await pending.login(instance.slug, users[1]!.email, PASSWORD);
    await pending.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    return { instance, admin, adminClient, users };
  }
  const list = (client: Client, query = '') => client.get(`/api/v1/admin/users${query}`);

  it('lists users by email with their 2FA state, and counts by status', async () => {
    const { adminClient, admin } = await population();
    const body = (await list(adminClient)).json();
    expect(body.users.map((u: { name: string }) => u.name)).toEqual([
      'Ada Admin',
      'Victor Active',
      'Wanda Off',
      'Xavier Off',
      'Yann Pending',
      'Zoe Active',
    ]);
    expect(body.users[0]).toEqual({
      id: admin.id,
      email: admin.email,
      name: 'Ada Admin',
      role: 'admin',
      status: 'active',
      invited: false,
      twoFactor: { enabled: false, associated: false, status: 'off', enforced: false },
    });
    expect(body.counts).toEqual({ active: 2, pending: 1, off: 3 });
    expect({ matches: body.matches, matchesCapped: body.matchesCapped }).toEqual({ matches: 6, matchesCapped: false });
    expect(body.nextCursor).toBeNull();
  });

  it('filters by status, searches by email or name prefix, and sorts by name', async () => {
    const { adminClient } = await population();
    const names = async (query: string) => (await list(adminClient, query)).json().users.map((u: { name: string }) => u.name);
    expect(await names('?twoFactor=active')).toEqual(['Victor Active', 'Zoe Active']);
    expect(await names('?twoFactor=pending')).toEqual(['Yann Pending']);
    expect(await names('?twoFactor=off')).toEqual(['Ada Admin', 'Wanda Off', 'Xavier Off']);
    expect(await names('?q=XAV')).toEqual(['Xavier Off']);
    expect(await names('?q=zoe%20a')).toEqual(['Zoe Active']);
    expect(await names('?q=w&twoFactor=off')).toEqual(['Wanda Off']);
    expect(await names('?sort=name&twoFactor=off')).toEqual(['Ada Admin', 'Wanda Off', 'Xavier Off']);
  });

  it('finds a word anywhere in the name or email from three characters on, says how many match, and keeps short input a prefix', async () => {
    const { adminClient, instance } = await population();
    const page = async (query: string) => {
      const body = (await list(adminClient, query)).json();
      return { names: body.users.map((u: { name: string }) => u.name), matches: body.matches, capped: body.matchesCapped };
    };
    // A surname, in any case.
    expect(await page('?q=ACTIVE')).toEqual({ names: ['Victor Active', 'Zoe Active'], matches: 2, capped: false });
    // The instance's domain: everyone; with a filter, the filter's share.
    expect((await page(`?q=${instance.slug}.test`)).matches).toBe(6);
    expect(await page(`?q=${instance.slug}.test&twoFactor=off`)).toEqual({
      names: ['Ada Admin', 'Wanda Off', 'Xavier Off'],
      matches: 3,
      capped: false,
    });
    // The middle of a word.
    expect((await page('?q=avie')).names).toEqual(['Xavier Off']);
    // The count is of all matches, not of the page.
    expect(await page(`?q=${instance.slug}&limit=2`)).toMatchObject({ names: ['Ada Admin', 'Victor Active'], matches: 6 });
    // Fewer than three characters: a prefix of the email or name, as before ("ff" is inside "Off", but starts nothing).
    expect(await page('?q=ff')).toEqual({ names: [], matches: 0, capped: false });
    expect(await page('?q=xa')).toEqual({ names: ['Xavier Off'], matches: 1, capped: false });
    // LIKE's wildcards are taken as themselves.
    expect((await page('?q=%25%25%25')).matches).toBe(0);
    expect((await page('?q=___')).matches).toBe(0);
    expect((await page('?q=a_m')).names).toEqual([]);
  });

  it('pages with an opaque cursor until the end, without gaps or repeats', async () => {
    const { adminClient } = await population();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { users: Array<{ name: string }>; nextCursor: string | null } = (
        await list(adminClient, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      expect(page.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.users.map((u: { name: string }) => u.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Ada Admin', 'Victor Active', 'Wanda Off', 'Xavier Off', 'Yann Pending', 'Zoe Active']);
  });

  it('pages by name and searches as typed when names lower-case differently in JavaScript and PostgreSQL, or arrive decomposed', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const { createUser } = await import('../../src/domain/account/create-user.ts');
    // 'İ' lower-cases to 'i' in PostgreSQL and to 'i̇' (two code points) in JavaScript, a final 'Σ'
    // to 'σ' and 'ς': a cursor built from JavaScript's key skipped "Ingrid" after "İlker Aydın" and
    // listed "ΟΔΥΣΣΕΑΣ" on every page after its own; ?q=İlker found nobody.
    for (const [name, email] of [
      ['Ida', 'ida'],
      ['İlker Aydın', 'aydin'],
      ['Ingrid', 'ingrid'],
      ['ΟΔΥΣΣΕΑΣ', 'odysseas'],
      ['Zoë Quinn', 'zoë'],
    ])
      await createUser(deps, {
        instanceSlug: instance.slug,
        email: `${email}@${instance.slug}.test`,
        name,
        role: 'member',
        password: null,
      });
    const names = async (query: string) => (await list(adminClient, query)).json().users.map((u: { name: string }) => u.name);
    const everyone = await names('?sort=name');
    expect(everyone).toEqual(['Ada Admin', 'Ida', 'İlker Aydın', 'Ingrid', 'Zoë Quinn', 'ΟΔΥΣΣΕΑΣ']);
    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        if (seen.length > everyone.length) throw new Error(`pages of ${limit} never end: ${seen.join(', ')}`);
        const page: { users: Array<{ name: string }>; nextCursor: string | null } = (
          await list(adminClient, `?sort=name&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
        ).json();
        seen.push(...page.users.map((u) => u.name));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen, `pages of ${limit}`).toEqual(everyone);
    }
    const q = (text: string) => names(`?sort=name&q=${encodeURIComponent(text)}`);
    expect(await q('İlker')).toEqual(['İlker Aydın']);
    expect(await q('ΟΔΥΣΣΕΑΣ')).toEqual(['ΟΔΥΣΣΕΑΣ']);
    // Typed decomposed (e + U+0308): found by the name and by the address, both stored composed.
    expect('zoe\u0308'.normalize('NFC')).toBe('zoë');
    expect(await q('  ZOE\u0308 Q')).toEqual(['Zoë Quinn']);
    expect(await q('zoe\u0308@')).toEqual(['Zoë Quinn']);
  });

  it('shows everyone without an app as pending while auto-enable is on', async () => {
    const { adminClient } = await population();
    await adminClient.request({ method: 'PUT', url: '/api/v1/admin/password-policy', payload: { twoFactor: { autoEnable: true } } });
    const body = (await list(adminClient)).json();
    expect(body.counts).toEqual({ active: 2, pending: 4, off: 0 });
    expect((await list(adminClient, '?twoFactor=off')).json().users).toEqual([]);
    expect((await list(adminClient, '?twoFactor=pending')).json().users.map((u: { name: string }) => u.name)).toEqual([
      'Ada Admin',
      'Wanda Off',
      'Xavier Off',
      'Yann Pending',
    ]);
  });

  it('keeps the counts right when users set up, turn off and are added', async () => {
    const { instance, adminClient, users } = await population();
    await givenUser(deps, instance);
    expect((await list(adminClient)).json().counts).toEqual({ active: 2, pending: 1, off: 4 });
    await database.db.deleteFrom('totp_credentials').where('user_id', '=', users[0]!.id).execute();
    expect((await list(adminClient)).json().counts).toEqual({ active: 1, pending: 2, off: 4 });
  });

  it('keeps the counts right when a user sets up at login under enforced auto-enable', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const member = await givenUser(deps, instance);
    await givenUser(deps, instance);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    // An admin without an app would be held at setup by the enforcement itself (issue 10 item 6).
    await enrolTotp(adminClient, deps);
    await adminClient.request({
      method: 'PUT',
      url: '/api/v1/admin/password-policy',
      payload: { twoFactor: { autoEnable: true, enforceSetup: true } },
    });
    expect((await list(adminClient)).json().counts).toEqual({ active: 1, pending: 2, off: 0 });
    const client = new Client(app);
    expect((await client.login(instance.slug, member.email, PASSWORD)).json().next).toBe('setup');
    const { secret } = (await client.post('/api/v1/auth/setup')).json();
    expect((await client.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({
      next: 'done',
    });
    expect((await list(adminClient)).json().counts).toEqual({ active: 2, pending: 1, off: 0 });
  });

  it('shows only the instance’s own users, to administrators only, and refuses bad queries', async () => {
    const { instance, users } = await population();
    const other = await givenInstance(deps, 'enterprise');
    const outsider = new Client(app);
    await outsider.login(other.instance.slug, other.admin.email, PASSWORD);
    expect((await list(outsider)).json().users.map((u: { email: string }) => u.email)).toEqual([other.admin.email]);
    const member = new Client(app);
    await member.login(instance.slug, users[2]!.email, PASSWORD);
    expect(errorCode(await list(member))).toBe('forbidden');
    const admin = new Client(app);
    await admin.login(other.instance.slug, other.admin.email, PASSWORD);
    for (const query of ['?limit=0', '?limit=1000', '?twoFactor=green', '?cursor=garbage', '?sort=role']) {
      expect(errorCode(await list(admin, query)), query).toBe('invalid_request');
    }
  });
});
