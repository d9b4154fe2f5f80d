import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createUser } from '../../src/domain/account/create-user.ts';

// Issue 10 item 2: a password-only admin must not strip another admin's 2FA by changing their
// role around a reset. The rule looks at the target's authenticator (NIST SP 800-63B-4: an
// authenticator is removed only with an equal or stronger one), and role changes tell the admins.
describe.each(engines())('demote → reset → promote on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  /** Admin A (password only, logged in), admin B with an app, admin C (the bystander). */
  async function threeAdmins() {
    const { instance, admin: attacker } = await givenInstance(deps);
    const victim = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `victim@${instance.slug}.test`,
      name: 'Vic Victim',
      role: 'admin',
      password: PASSWORD,
    });
    const bystander = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `carol@${instance.slug}.test`,
      name: 'Carol Admin',
      role: 'admin',
      password: PASSWORD,
    });
    const victimClient = new Client(app);
    await victimClient.login(instance.slug, victim.email, PASSWORD);
    await enrolTotp(victimClient, deps);
    const attackerClient = new Client(app);
    expect((await attackerClient.login(instance.slug, attacker.email, PASSWORD)).json()).toEqual({ next: 'done' });
    return { instance, attacker, victim, bystander, attackerClient };
  }

  const patch = (client: Client, id: string, payload: object) =>
    client.request({ method: 'PATCH', url: `/api/v1/admin/users/${id}`, payload });
  const totpRows = (userId: string) => database.db.selectFrom('totp_credentials').select('user_id').where('user_id', '=', userId).execute();

  it('refuses the reset in the middle of the attack, keeps the victim’s app, and tells the other admins of both role changes', async () => {
    const { attacker, victim, bystander, attackerClient } = await threeAdmins();

    expect((await patch(attackerClient, victim.id, { role: 'member' })).statusCode).toBe(200);
    const reset = await attackerClient.post(`/api/v1/admin/users/${victim.id}/two-factor/reset`);
    expect(reset.statusCode).toBe(403);
    expect(errorCode(reset)).toBe('forbidden');
    expect(await totpRows(victim.id)).toHaveLength(1);
    expect((await patch(attackerClient, victim.id, { role: 'admin' })).statusCode).toBe(200);

    // The bystander hears of the demotion and of the promotion; so does the victim; the actor does not mail themselves.
    const roleMails = async (to: string) =>
      (await deliveredTo(deps, to)).filter((m) => m.subject.includes(victim.name) && /role/i.test(m.subject));
    expect(await roleMails(bystander.email)).toHaveLength(2);
    expect((await roleMails(bystander.email))[0]!.text).toContain(attacker.email);
    expect(await roleMails(victim.email)).toHaveLength(2);
    expect(await roleMails(attacker.email)).toHaveLength(0);
    // And both changes are in the audit log.
    const audit = (await attackerClient.get(`/api/v1/admin/audit?action=user.role_changed&userId=${victim.id}`)).json();
    expect(audit.events.map((e: { details: unknown }) => e.details)).toEqual([
      { from: 'member', to: 'admin' },
      { from: 'admin', to: 'member' },
    ]);
  });

  it('refuses a password-only admin the reset of a member who has an app', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    await enrolTotp(memberClient, deps);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    expect(errorCode(await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`))).toBe('forbidden');
    expect(await totpRows(member.id)).toHaveLength(1);
  });

  it('lets a password-only admin reset a user without an app (nothing stronger is removed)', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    expect((await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`)).statusCode).toBe(204);
  });

  it('lets an admin with 2FA and a fresh code reset the member’s app, and asks a stale session for a code first', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    await enrolTotp(memberClient, deps);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const secret = await enrolTotp(adminClient, deps);
    const fresh = new Client(app);
    await loginWithCode(fresh, deps, instance.slug, admin.email, secret);
    deps.clock.advanceSeconds(11 * 60);
    expect(errorCode(await fresh.post(`/api/v1/admin/users/${member.id}/two-factor/reset`))).toBe('step_up_required');
    const again = new Client(app);
    await loginWithCode(again, deps, instance.slug, admin.email, secret);
    expect((await again.post(`/api/v1/admin/users/${member.id}/two-factor/reset`)).statusCode).toBe(204);
    expect(await totpRows(member.id)).toHaveLength(0);
  });
});
