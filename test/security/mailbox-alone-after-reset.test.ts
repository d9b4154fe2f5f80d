/**
 * Issue 10 item 3: a user whose 2FA is enabled but who has no app (every user after an admin or
 * support reset, every pending user under auto-enable) could be taken over with the mailbox
 * alone: reset link → login → setup → the attacker's app → full session (SPEC rule 13).
 */
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';

// Forgot-password requests are queued; deliveredTo drains the worker that handles them.
const resetsDone = () => Promise.resolve();
const LINK = /\/reset\?instance=[a-z0-9-]+#token=([A-Za-z0-9_-]+)/;
const resetMails = async (deps: TestDeps, to: string) => (await deliveredTo(deps, to)).filter((m) => m.subject.startsWith('Reset'));

describe.each(engines())('the mailbox alone after a 2FA reset on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  /** A member with an app, reset by an administrator: 2FA still enabled, no app (pending). */
  async function resetMember() {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const enrolling = new Client(app);
    await enrolling.login(instance.slug, admin.email, PASSWORD);
    // Removing someone's app needs an admin with an app of their own and a fresh code (item 2).
    const adminSecret = await enrolTotp(enrolling, deps);
    const adminClient = new Client(app);
    await loginWithCode(adminClient, deps, instance.slug, admin.email, adminSecret);
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    await enrolTotp(memberClient, deps);
    return { instance, member, adminClient, reset: () => adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`) };
  }

  async function forgot(slug: string, email: string) {
    await new Client(app).post('/api/v1/auth/forgot', { instance: slug, email });
    await resetsDone();
  }

  it('mails no reset link to a user whose 2FA was reset, and says to ask an administrator', async () => {
    const { instance, member, reset } = await resetMember();
    expect((await reset()).statusCode).toBe(204);
    await forgot(instance.slug, member.email);
    const [mail] = await resetMails(deps, member.email);
    expect(mail).toBeDefined();
    expect(mail!.text).not.toMatch(LINK);
    expect(mail!.html).not.toMatch(/#token=/);
    // The attack of the review: the attacker cannot reach setup, so no app of theirs is bound.
    const attacker = new Client(app);
    expect(errorCode(await attacker.login(instance.slug, member.email, 'attacker chosen password'))).toBe('invalid_credentials');
  });

  it('refuses a link issued before the reset, with admin_recovery_required, and changes nothing', async () => {
    const { instance, member, reset } = await resetMember();
    await forgot(instance.slug, member.email);
    const token = LINK.exec((await resetMails(deps, member.email))[0]!.text)![1]!;
    expect((await reset()).statusCode).toBe(204);
    const attempt = await new Client(app).post('/api/v1/auth/reset', { token, password: 'attacker chosen password' });
    expect(attempt.statusCode).toBe(403);
    expect(errorCode(attempt)).toBe('admin_recovery_required');
    expect(errorCode(await new Client(app).login(instance.slug, member.email, 'attacker chosen password'))).toBe('invalid_credentials');
    // The owner, who knows the password, logs in and sets up: password and setup, not the mailbox alone.
    const owner = new Client(app);
    expect((await owner.login(instance.slug, member.email, PASSWORD)).json()).toEqual({ next: 'setup', canPostpone: true });
    const { secret } = (await owner.post('/api/v1/auth/setup')).json();
    expect((await owner.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
  });

  it('mails no reset link to a pending user under auto-enable', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const member = await givenUser(deps, instance);
    expect(
      (await adminClient.request({ method: 'PUT', url: '/api/v1/admin/password-policy', payload: { twoFactor: { autoEnable: true } } }))
        .statusCode,
    ).toBe(200);
    await forgot(instance.slug, member.email);
    const [mail] = await resetMails(deps, member.email);
    expect(mail!.text).not.toMatch(LINK);
    expect(mail!.text).toContain('ask an administrator of your organisation');
    // An administrator is pointed to the vendor's support instead (issue 13): nobody of their own
    // instance is meant to reset them alone.
    await forgot(instance.slug, admin.email);
    const [adminMail] = await resetMails(deps, admin.email);
    expect(adminMail!.text).not.toMatch(LINK);
    expect(adminMail!.text).toContain('the support team of your keyward provider');
    expect(adminMail!.text).not.toContain('ask an administrator');
  });

  it('still mails a working link to a user whose 2FA is off, and one that asks for the code to a user with an app', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    await forgot(instance.slug, member.email);
    const token = LINK.exec((await resetMails(deps, member.email))[0]!.text)![1]!;
    expect((await new Client(app).post('/api/v1/auth/reset', { token, password: 'a brand new password' })).statusCode).toBe(204);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    await enrolTotp(adminClient, deps);
    await forgot(instance.slug, admin.email);
    const adminToken = LINK.exec((await resetMails(deps, admin.email))[0]!.text)![1]!;
    expect(errorCode(await new Client(app).post('/api/v1/auth/reset', { token: adminToken, password: 'a brand new password' }))).toBe(
      'invalid_request',
    );
  });

  it('keeps invitations working under auto-enable: the administrator created the account for that mailbox', async () => {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    expect(
      (await adminClient.request({ method: 'PUT', url: '/api/v1/admin/password-policy', payload: { twoFactor: { autoEnable: true } } }))
        .statusCode,
    ).toBe(200);
    const email = `invited-${instance.slug}@example.test`;
    expect((await adminClient.post('/api/v1/admin/users', { email, name: 'Ivy Invited', role: 'member' })).statusCode).toBe(201);
    const token = /#token=([A-Za-z0-9_-]+)/.exec((await deliveredTo(deps, email))[0]!.text)![1]!;
    expect((await new Client(app).post('/api/v1/auth/invitation', { token, password: 'ivy picks a long password' })).statusCode).toBe(204);
  });
});
