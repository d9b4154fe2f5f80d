import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { tellAboutStatus } from '../../src/domain/admin/manage-users.ts';
import { helperFor } from '../../src/domain/support/support-contact.ts';
import { createUser } from '../../src/domain/account/create-user.ts';
import { resetFromCli } from '../../src/domain/recovery/reset-two-factor.ts';

// Issue 13: an administrator who lost their device is pointed to the vendor's support, whose
// contact is a vendor setting (KEYWARD_SUPPORT_CONTACT): the public route the pages read, and
// the reset mails of support and the CLI.
describe('the vendor support contact', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ database, deps, app } = t));

  it('has one rule for who helps: a member’s administrators, an administrator the vendor’s support', () => {
    expect(helperFor('member')).toBe('administrators');
    expect(helperFor('admin')).toBe('support');
  });

  it('points a disabled administrator to the vendor’s support and a disabled member to their administrators', async () => {
    deps.supportContact = { email: 'help@vendor.test' };
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    for (const [user, reason] of [
      [admin, 'ask_support'],
      [member, 'ask_administrators'],
    ] as const) {
      await database.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', user.id).execute();
      const refused = await new Client(app).login(instance.slug, user.email, PASSWORD);
      expect(refused.statusCode).toBe(403);
      expect(errorCode(refused)).toBe('account_disabled');
      expect(refused.json().error.reason, user.role).toBe(reason);
      await tellAboutStatus(deps, instance, { ...user, status: 'disabled' });
    }
    const [toAdmin] = (await deliveredTo(deps, admin.email)).filter((m) => m.subject.endsWith('account was disabled'));
    expect(toAdmin!.text).toContain('help@vendor.test');
    const [toMember] = (await deliveredTo(deps, member.email)).filter((m) => m.subject.endsWith('account was disabled'));
    expect(toMember!.text).not.toContain('help@vendor.test');
    deps.supportContact = null;
  });

  it('answers the contact to anyone, and nulls when none is set', async () => {
    deps.supportContact = null;
    expect((await new Client(app).get('/api/v1/support-contact')).json()).toEqual({ email: null, url: null });
    deps.supportContact = { url: 'https://help.vendor.test/' };
    expect((await new Client(app).get('/api/v1/support-contact')).json()).toEqual({ email: null, url: 'https://help.vendor.test/' });
    deps.supportContact = { email: 'help@vendor.test' };
    expect((await new Client(app).get('/api/v1/support-contact')).json()).toEqual({ email: 'help@vendor.test', url: null });
  });

  it('names the contact in the mails of a reset by the vendor, to the administrator and the other administrators', async () => {
    deps.supportContact = { email: 'help@vendor.test' };
    const { instance, admin } = await givenInstance(deps);
    const other = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `other@${instance.slug}.test`,
      name: 'Otto Other',
      role: 'admin',
      password: 'another careful passphrase',
    });
    await resetFromCli(deps, {
      instance: instance.slug,
      email: admin.email,
      verification: { method: 'contract_contact', reference: 'SUP-77' },
      operator: 'root',
    });
    const [toAdmin] = (await deliveredTo(deps, admin.email)).filter((m) => m.subject.startsWith('Two-factor authentication was reset'));
    expect(toAdmin!.text).toContain('contact the support team (help@vendor.test), quoting the reference SUP-77');
    const [toOther] = (await deliveredTo(deps, other.email)).filter((m) => m.subject.includes('was reset'));
    expect(toOther!.text).toContain('contact the support team (help@vendor.test) at once');
    deps.supportContact = null;
  });
});
