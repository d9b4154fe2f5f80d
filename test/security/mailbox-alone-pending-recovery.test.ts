/**
 * Issue 10 item 3, second half: a user whose 2FA is enabled but who has no app, and who also
 * forgot the password, recovers through two channels: the reset link mailed to them and a
 * one-time code an administrator hands over out of band. Neither the mailbox alone (SPEC rule 13)
 * nor the administrator alone (checklist ADM-04) can complete it.
 */
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { User } from '../../src/domain/account/user.ts';

const LINK = /\/reset\?instance=[a-z0-9-]+#token=([A-Za-z0-9_-]+)/;
const NEW_PASSWORD = 'a long new password only I know';
const CODE = /^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$/;

describe.each(engines())('recovery of a pending user by mailbox and administrator together on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  const loggedIn = async (slug: string, email: string) => {
    const client = new Client(app);
    expect((await client.login(slug, email, PASSWORD)).statusCode).toBe(200);
    return client;
  };

  /** A member who turned 2FA on and has no app yet (pending), and a logged-in administrator. */
  async function pendingMember(instanceGiven?: { instance: Instance; admin: User }) {
    const { instance, admin } = instanceGiven ?? (await givenInstance(deps));
    const member = await givenUser(deps, instance);
    const memberClient = await loggedIn(instance.slug, member.email);
    expect((await memberClient.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } })).statusCode).toBe(200);
    const adminClient = await loggedIn(instance.slug, admin.email);
    return { instance, admin, member, adminClient };
  }

  const startRecovery = (client: Client, userId: string) => client.post(`/api/v1/admin/users/${userId}/password-recovery`);

  /** The newest recovery mail (mail is delivered in order of each drain; every test drains after each step). */
  async function recoveryMail(to: string) {
    const mails = (await deliveredTo(deps, to)).filter((m) => m.subject.startsWith('Recover'));
    expect(mails.length).toBeGreaterThan(0);
    return mails.at(-1)!;
  }

  const tokenOf = async (to: string) => LINK.exec((await recoveryMail(to)).text)![1]!;
  const reset = (body: Record<string, unknown>) => new Client(app).post('/api/v1/auth/reset', body);

  it('refuses the mailbox alone: the link without the code, or with a wrong code, changes nothing', async () => {
    const { instance, member, adminClient } = await pendingMember();
    const started = await startRecovery(adminClient, member.id);
    expect(started.statusCode).toBe(201);
    const { code, expiresAt } = started.json();
    expect(code).toMatch(CODE);
    expect(new Date(expiresAt).getTime() - deps.clock.now().getTime()).toBe(24 * 3600 * 1000);
    const token = await tokenOf(member.email);

    // The link page learns up front that a code is needed.
    const info = await new Client(app).post('/api/v1/auth/password-link', { purpose: 'reset', token });
    expect(info.json()).toMatchObject({ recoveryCodeRequired: true });

    for (const body of [
      { token, password: NEW_PASSWORD },
      { token, password: NEW_PASSWORD, recoveryCode: 'ABCD-EFGH-JKLM-NPQR' },
    ]) {
      const refused = await reset(body);
      expect(refused.statusCode).toBe(403);
      expect(errorCode(refused)).toBe('admin_recovery_required');
    }
    expect(errorCode(await new Client(app).login(instance.slug, member.email, NEW_PASSWORD))).toBe('invalid_credentials');
    expect((await new Client(app).login(instance.slug, member.email, PASSWORD)).statusCode).toBe(200);
  });

  it("makes the administrator's code useless without the mailed link", async () => {
    const { instance, admin, member, adminClient } = await pendingMember();
    const { code } = (await startRecovery(adminClient, member.id)).json();
    // The code is no link, and it does not open another pending user's link.
    expect(errorCode(await reset({ token: code, password: NEW_PASSWORD, recoveryCode: code }))).toBe('forbidden');
    const other = await pendingMember({ instance, admin });
    expect((await startRecovery(adminClient, other.member.id)).statusCode).toBe(201);
    const otherToken = await tokenOf(other.member.email);
    expect(errorCode(await reset({ token: otherToken, password: NEW_PASSWORD, recoveryCode: code }))).toBe('admin_recovery_required');
    // The code was never mailed.
    const mail = await recoveryMail(member.email);
    expect(`${mail.text}${mail.html}`).not.toContain(code);
    expect(`${mail.text}${mail.html}`.replace(/-/g, '')).not.toContain(code.replace(/-/g, ''));
  });

  it('sets the password with the link and the code together, logs nobody in, and the user then sets up the app', async () => {
    const { instance, member, adminClient } = await pendingMember();
    const { code } = (await startRecovery(adminClient, member.id)).json();
    const token = await tokenOf(member.email);
    // Typed as read over the phone: lower case, spaces for dashes.
    const done = await reset({ token, password: NEW_PASSWORD, recoveryCode: ` ${code.toLowerCase().replace(/-/g, ' ')} ` });
    expect(done.statusCode).toBe(204);
    expect(done.headers['set-cookie']).toBeUndefined();
    // Both are used up.
    expect(errorCode(await reset({ token, password: 'yet another long password', recoveryCode: code }))).toBe('forbidden');

    const owner = new Client(app);
    expect((await owner.login(instance.slug, member.email, NEW_PASSWORD)).json()).toMatchObject({ next: 'setup' });
    const { secret } = (await owner.post('/api/v1/auth/setup')).json();
    expect((await owner.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
    expect((await owner.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('recovers a user whose app an administrator reset, the case of the review', async () => {
    const { instance, admin } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const enrolling = await loggedIn(instance.slug, admin.email);
    const adminSecret = await enrolTotp(enrolling, deps);
    const adminClient = new Client(app);
    await loginWithCode(adminClient, deps, instance.slug, admin.email, adminSecret);
    await enrolTotp(await loggedIn(instance.slug, member.email), deps);
    // An app set up: the ordinary link (with a code from the app) is the way, not this.
    expect(errorCode(await startRecovery(adminClient, member.id))).toBe('recovery_not_needed');
    expect((await adminClient.post(`/api/v1/admin/users/${member.id}/two-factor/reset`)).statusCode).toBe(204);
    const { code } = (await startRecovery(adminClient, member.id)).json();
    const token = await tokenOf(member.email);
    expect(errorCode(await reset({ token, password: NEW_PASSWORD }))).toBe('admin_recovery_required');
    expect((await reset({ token, password: NEW_PASSWORD, recoveryCode: code })).statusCode).toBe(204);
    expect((await new Client(app).login(instance.slug, member.email, NEW_PASSWORD)).json()).toMatchObject({ next: 'setup' });
  });

  it('uses the code once when the link and code are submitted many times at once', async () => {
    const { instance, member, adminClient } = await pendingMember();
    const { code } = (await startRecovery(adminClient, member.id)).json();
    const token = await tokenOf(member.email);
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => reset({ token, password: `${NEW_PASSWORD} number ${i}`, recoveryCode: code })),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode !== 204).map(errorCode)).toEqual(Array(3).fill('forbidden'));
    const winner = statuses.indexOf(204);
    expect((await new Client(app).login(instance.slug, member.email, `${NEW_PASSWORD} number ${winner}`)).statusCode).toBe(200);
  });

  it('replaces the earlier code and link with a new one', async () => {
    const { member, adminClient } = await pendingMember();
    const first = (await startRecovery(adminClient, member.id)).json().code;
    const firstToken = await tokenOf(member.email);
    const second = (await startRecovery(adminClient, member.id)).json().code;
    const secondToken = await tokenOf(member.email);
    expect(second).not.toBe(first);
    expect(errorCode(await reset({ token: firstToken, password: NEW_PASSWORD, recoveryCode: first }))).toBe('forbidden');
    expect(errorCode(await reset({ token: secondToken, password: NEW_PASSWORD, recoveryCode: first }))).toBe('admin_recovery_required');
    expect((await reset({ token: secondToken, password: NEW_PASSWORD, recoveryCode: second })).statusCode).toBe(204);
  });

  it("counts wrong codes on the link's throttle: guessing locks the link, even for the right code", async () => {
    const { member, adminClient } = await pendingMember();
    const { code } = (await startRecovery(adminClient, member.id)).json();
    const token = await tokenOf(member.email);
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(errorCode(await reset({ token, password: NEW_PASSWORD, recoveryCode: `WRONG-${i}` }))!);
    expect(answers.slice(0, 4)).toEqual(Array(4).fill('admin_recovery_required'));
    expect(answers).toContain('rate_limited');
    expect(errorCode(await reset({ token, password: NEW_PASSWORD, recoveryCode: code }))).toBe('rate_limited');
  });

  it('expires the code after 24 hours', async () => {
    const { member, adminClient } = await pendingMember();
    const { code } = (await startRecovery(adminClient, member.id)).json();
    const token = await tokenOf(member.email);
    deps.clock.advanceSeconds(24 * 3600 + 1);
    expect(errorCode(await reset({ token, password: NEW_PASSWORD, recoveryCode: code }))).toBe('forbidden');
  });

  it('refuses members (403), other instances’ users (404), the admin’s own account (403), users who do not need it (409), and asks for a step-up', async () => {
    const { instance, admin, member, adminClient } = await pendingMember();
    const plain = await givenUser(deps, instance);
    const memberClient = await loggedIn(instance.slug, plain.email);
    expect(errorCode(await startRecovery(memberClient, member.id))).toBe('forbidden');
    const other = await pendingMember();
    expect((await startRecovery(adminClient, other.member.id)).statusCode).toBe(404);
    expect(errorCode(await startRecovery(adminClient, 'no-such-user'))).toBe('not_found');
    const self = await startRecovery(adminClient, admin.id);
    expect(self.statusCode).toBe(403);
    expect(errorCode(self)).toBe('cannot_reset_self');
    // 2FA off: the ordinary emailed link works, so no code.
    const notNeeded = await startRecovery(adminClient, plain.id);
    expect(notNeeded.statusCode).toBe(409);
    expect(errorCode(notNeeded)).toBe('recovery_not_needed');

    // An admin with 2FA whose session skipped the code (known location): step-up first (rule 12).
    const secret = await enrolTotp(adminClient, deps);
    expect((await adminClient.login(instance.slug, admin.email, PASSWORD)).json()).toEqual({ next: 'done' });
    expect(errorCode(await startRecovery(adminClient, member.id))).toBe('step_up_required');
    expect((await deliveredTo(deps, member.email)).filter((m) => m.subject.startsWith('Recover'))).toEqual([]);
    expect((await adminClient.post('/api/v1/auth/step-up', { code: oathtool(secret, deps.clock.now()) })).statusCode).toBe(204);
    expect((await startRecovery(adminClient, member.id)).statusCode).toBe(201);
  });

  it('audits the start (never the code) and the reset, and mails the user that an administrator started it', async () => {
    const { member, admin, adminClient } = await pendingMember();
    const { code, expiresAt } = (await startRecovery(adminClient, member.id)).json();
    const mail = await recoveryMail(member.email);
    expect(mail.text).toContain(admin.name);
    expect(mail.text).toMatch(/recovery code/);
    const events = (await adminClient.get('/api/v1/admin/audit?action=password.recovery_started')).json().events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'password.recovery_started', details: { expiresAt } });
    expect(JSON.stringify(events)).not.toContain(code);
    expect((await reset({ token: await tokenOf(member.email), password: NEW_PASSWORD, recoveryCode: code })).statusCode).toBe(204);
    const resets = (await adminClient.get('/api/v1/admin/audit?action=password.reset')).json().events;
    expect(resets[0]).toMatchObject({ details: { via: 'admin_recovery' } });
  });

  it('mails a usable link (still needing the code) when the user asks "forgot password" during a recovery', async () => {
    const { instance, member, adminClient } = await pendingMember();
    const { code } = (await startRecovery(adminClient, member.id)).json();
    const first = await tokenOf(member.email);
    deps.clock.advanceSeconds(10 * 60);
    await new Client(app).post('/api/v1/auth/forgot', { instance: instance.slug, email: member.email });
    const token = await tokenOf(member.email);
    expect(token).not.toBe(first);
    expect(errorCode(await reset({ token, password: NEW_PASSWORD }))).toBe('admin_recovery_required');
    expect((await reset({ token, password: NEW_PASSWORD, recoveryCode: code })).statusCode).toBe(204);
  });
});
