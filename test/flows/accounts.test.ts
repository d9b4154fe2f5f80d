import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, PUBLIC_URL, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { createUser } from '../../src/domain/account/create-user.ts';
import { importUsers } from '../../src/domain/account/import-users.ts';

const inviteToken = (text: string) => /\/invite\?instance=[a-z0-9-]+#token=([A-Za-z0-9_-]+)/.exec(text)![1]!;

// Issue 13, "Accounts and invitations": every new account finds its way in; admins edit and delete users.
describe.each(engines())('accounts and invitations on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  async function adminClient() {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    return { instance, admin, client };
  }
  const invitations = async (email: string) => (await deliveredTo(deps, email)).filter((m) => m.subject.startsWith('You are invited'));
  const events = async (client: Client, action: string) => (await client.get(`/api/v1/admin/audit?action=${action}`)).json().events;

  it('invites a user created without a password from the CLI and from an import, with the login address', async () => {
    const { instance, client } = await adminClient();
    const cli = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `cli-${instance.slug}@example.test`,
      role: 'member',
      password: null,
    });
    const report = await importUsers(deps, instance.slug, [
      { line: 2, email: `imp-${instance.slug}@example.test`, name: 'Ivo Imported', role: 'member', password: null },
      { line: 3, email: `pwd-${instance.slug}@example.test`, name: 'Pia Password', role: 'member', password: 'pia has her own words' },
    ]);
    expect(report.created).toBe(2);
    for (const email of [cli.email, `imp-${instance.slug}@example.test`]) {
      const [mail, ...more] = await invitations(email);
      expect(more).toEqual([]);
      expect(mail!.text).toContain(`${PUBLIC_URL}/i/${instance.slug}/login`);
      expect(mail!.text).toContain(`Your login is this email address, ${email}`);
      const token = inviteToken(mail!.text);
      expect((await new Client(app).post('/api/v1/auth/invitation', { token, password: 'a path in for everyone' })).statusCode).toBe(204);
      expect((await new Client(app).login(instance.slug, email, 'a path in for everyone')).json()).toEqual({ next: 'done' });
    }
    // An imported user with a password gets the account mail, not an invitation.
    expect(await invitations(`pwd-${instance.slug}@example.test`)).toEqual([]);
    // A rerun of the import sends nothing again.
    await importUsers(deps, instance.slug, [
      { line: 2, email: `imp-${instance.slug}@example.test`, name: 'Ivo', role: 'member', password: null },
    ]);
    expect(await invitations(`imp-${instance.slug}@example.test`)).toHaveLength(1);
    // Accepting is audited as an accepted invitation, not as a password reset.
    const accepted = (await events(client, 'invitation.accepted')).map((e: { target: { label: string } }) => e.target.label);
    expect(accepted).toHaveLength(2);
    for (const email of [cli.email, `imp-${instance.slug}@example.test`])
      expect(accepted.some((label: string) => label.includes(email))).toBe(true);
    expect(await events(client, 'password.reset')).toEqual([]);
  });

  it('shows invited users as invited until they choose a password, and resends the invitation at most every five minutes', async () => {
    const { instance, client } = await adminClient();
    const email = `wait-${instance.slug}@example.test`;
    const invited = (await client.post('/api/v1/admin/users', { email, name: 'Walt Waiting', role: 'member' })).json();
    expect(invited.invited).toBe(true);
    const listed = (await client.get(`/api/v1/admin/users?q=wait-`)).json().users;
    expect(listed).toEqual([expect.objectContaining({ email, invited: true })]);
    const resend = () => client.post(`/api/v1/admin/users/${invited.id}/invitation`, {});
    const [first] = await invitations(email);
    const early = await resend();
    expect(errorCode(early)).toBe('rate_limited');
    expect(Number(early.headers['retry-after'])).toBeGreaterThan(0);
    deps.clock.advanceSeconds(301);
    await client.login(instance.slug, `admin@${instance.slug}.test`, PASSWORD);
    expect((await resend()).statusCode).toBe(204);
    const sent = await invitations(email);
    expect(sent).toHaveLength(2);
    const second = sent.find((mail) => mail.text !== first!.text);
    // The new link replaces the old one.
    expect(
      errorCode(
        await new Client(app).post('/api/v1/auth/invitation', { token: inviteToken(first!.text), password: 'a brand new passphrase 42' }),
      ),
    ).toBe('forbidden');
    expect(
      (await new Client(app).post('/api/v1/auth/invitation', { token: inviteToken(second!.text), password: 'a brand new passphrase 42' }))
        .statusCode,
    ).toBe(204);
    expect((await client.get(`/api/v1/admin/users?q=wait-`)).json().users[0].invited).toBe(false);
    deps.clock.advanceSeconds(301);
    await client.login(instance.slug, `admin@${instance.slug}.test`, PASSWORD);
    expect(errorCode(await resend())).toBe('conflict');
    expect(await events(client, 'invitation.resent')).toHaveLength(1);
    const member = await givenUser(deps, (await givenInstance(deps)).instance);
    expect(errorCode(await client.post(`/api/v1/admin/users/${member.id}/invitation`, {}))).toBe('not_found');
  });

  it('names the account and instance of a link when the page opens, and says when it was used or expired, without spending it', async () => {
    const { instance, client } = await adminClient();
    const email = `look-${instance.slug}@example.test`;
    await client.post('/api/v1/admin/users', { email, name: 'Lou Looking', role: 'member' });
    const token = inviteToken((await invitations(email))[0]!.text);
    const status = () => new Client(app).post('/api/v1/auth/link-status', { purpose: 'invitation', token });
    const named = { email, instance: { slug: instance.slug, name: instance.name }, loginUrl: `${PUBLIC_URL}/i/${instance.slug}/login` };
    expect((await status()).json()).toEqual({ state: 'valid', ...named, passwordMinLength: 15 });
    expect((await status()).json().state).toBe('valid');
    expect((await new Client(app).post('/api/v1/auth/invitation', { token, password: 'lou looked and chose' })).statusCode).toBe(204);
    expect((await status()).json()).toEqual({ state: 'used', ...named });
    const late = `late-${instance.slug}@example.test`;
    await client.post('/api/v1/admin/users', { email: late, name: 'Lena Late', role: 'member' });
    const lateToken = inviteToken((await invitations(late))[0]!.text);
    deps.clock.advanceSeconds(7 * 86400 + 1);
    expect((await new Client(app).post('/api/v1/auth/link-status', { purpose: 'invitation', token: lateToken })).json().state).toBe(
      'expired',
    );
    expect(errorCode(await new Client(app).post('/api/v1/auth/link-status', { purpose: 'invitation', token: 'x'.repeat(43) }))).toBe(
      'forbidden',
    );
    // An invitation token is no reset link.
    expect(errorCode(await new Client(app).post('/api/v1/auth/link-status', { purpose: 'reset', token }))).toBe('forbidden');
  });

  it('edits a user’s name and email, audited, the old address told; an email taken in the instance is 409 email_taken', async () => {
    const { instance, admin, client } = await adminClient();
    const member = await givenUser(deps, instance);
    const patch = (id: string, body: object) => client.request({ method: 'PATCH', url: `/api/v1/admin/users/${id}`, payload: body });
    const newEmail = `renamed-${instance.slug}@example.test`;
    const edited = await patch(member.id, { name: 'Mara Renamed', email: ` ${newEmail} ` });
    expect(edited.json()).toMatchObject({ id: member.id, name: 'Mara Renamed', email: newEmail, invited: false });
    expect((await new Client(app).login(instance.slug, newEmail, PASSWORD)).json()).toEqual({ next: 'done' });
    expect(errorCode(await new Client(app).login(instance.slug, member.email, PASSWORD))).toBe('invalid_credentials');
    expect((await deliveredTo(deps, member.email)).some((m) => m.subject.includes('login email was changed'))).toBe(true);
    const [event] = await events(client, 'user.updated');
    expect(event.details).toEqual({
      changed: ['name', 'email'],
      from: { name: 'Max Member', email: member.email },
      to: { name: 'Mara Renamed', email: newEmail },
    });
    const taken = await patch(member.id, { email: admin.email.toUpperCase() });
    expect(taken.statusCode).toBe(409);
    expect(errorCode(taken)).toBe('email_taken');
    expect(taken.json().error.field).toBe('email');
    expect(errorCode(await patch(member.id, { email: 'not an email' }))).toBe('invalid_request');
    expect(errorCode(await patch(member.id, { name: 'two\nlines' }))).toBe('invalid_request');
    // The same email in another instance is no conflict.
    const other = await givenInstance(deps);
    await givenUser(deps, other.instance, `shared-${instance.slug}@example.test`);
    expect((await patch(member.id, { email: `shared-${instance.slug}@example.test` })).statusCode).toBe(200);
  });

  it('deletes a user, ending their sessions, audited; never oneself or the last administrator', async () => {
    const { instance, admin, client } = await adminClient();
    const member = await givenUser(deps, instance);
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    expect((await memberClient.get('/api/v1/me')).statusCode).toBe(200);
    const remove = (id: string, by = client) => by.request({ method: 'DELETE', url: `/api/v1/admin/users/${id}` });
    expect((await remove(member.id)).statusCode).toBe(204);
    expect(errorCode(await memberClient.get('/api/v1/me'))).toBe('unauthenticated');
    expect(errorCode(await new Client(app).login(instance.slug, member.email, PASSWORD))).toBe('invalid_credentials');
    expect(errorCode(await remove(member.id))).toBe('not_found');
    const [event] = await events(client, 'user.deleted');
    expect(event).toMatchObject({ target: { id: member.id }, details: { email: member.email, role: 'member' } });
    expect(errorCode(await remove(admin.id))).toBe('cannot_delete_self');
    // Another administrator can be deleted (the caller remains one); their sessions end too.
    const second = await createUser(deps, {
      instanceSlug: instance.slug,
      email: `second-${instance.slug}@example.test`,
      role: 'admin',
      password: 'second admin words here',
    });
    const secondClient = new Client(app);
    await secondClient.login(instance.slug, second.email, 'second admin words here');
    expect((await remove(second.id)).statusCode).toBe(204);
    expect(errorCode(await remove(admin.id, secondClient))).toBe('unauthenticated');
    const other = await givenInstance(deps);
    expect(errorCode(await remove(other.admin.id))).toBe('not_found');
    // The email is free again.
    expect((await client.post('/api/v1/admin/users', { email: member.email, name: 'Max Again', role: 'member' })).statusCode).toBe(201);
  });

  it('says a disabled account is disabled only to its correct password, and mails the user when disabled and enabled', async () => {
    const { instance, client } = await adminClient();
    const member = await givenUser(deps, instance);
    const patch = (body: object) => client.request({ method: 'PATCH', url: `/api/v1/admin/users/${member.id}`, payload: body });
    await patch({ status: 'disabled' });
    const disabled = await new Client(app).login(instance.slug, member.email, PASSWORD);
    expect(disabled.statusCode).toBe(403);
    expect(errorCode(disabled)).toBe('account_disabled');
    // A wrong password tells nothing: the same answer as an unknown account.
    expect(errorCode(await new Client(app).login(instance.slug, member.email, 'not the password at all'))).toBe('invalid_credentials');
    expect(errorCode(await new Client(app).login(instance.slug, `nobody-${instance.slug}@example.test`, PASSWORD))).toBe(
      'invalid_credentials',
    );
    await patch({ status: 'active' });
    const subjects = (await deliveredTo(deps, member.email)).map((m) => m.subject);
    expect(subjects).toContain(`Your ${instance.name} account was disabled`);
    expect(subjects).toContain(`Your ${instance.name} account was enabled again`);
    expect((await new Client(app).login(instance.slug, member.email, PASSWORD)).json()).toEqual({ next: 'done' });
  });
});
