/**
 * Issue 10 item 13: a reset link kept working after the user changed their password, so a link
 * sitting in a mailbox (or stolen from it) outlived the change that was meant to end all access.
 */
import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';

const tokenIn = (text: string) => /#token=([A-Za-z0-9_-]+)/.exec(text)![1]!;

describe.each(engines())('reset links after a password change on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  async function forgot(slug: string, email: string): Promise<string> {
    await new Client(app).post('/api/v1/auth/forgot', { instance: slug, email });
    return tokenIn((await deliveredTo(deps, email)).filter((m) => m.subject.startsWith('Reset')).at(-1)!.text);
  }

  it('ends an outstanding reset link when the user changes the password from a session', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const token = await forgot(instance.slug, member.email);
    const client = new Client(app);
    await client.login(instance.slug, member.email, PASSWORD);
    const changed = await client.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'the owner changed it now' });
    expect(changed.json()).toEqual({ next: 'done' });
    expect(errorCode(await new Client(app).post('/api/v1/auth/reset', { token, password: 'an old link takes over' }))).toBe('forbidden');
    expect((await new Client(app).login(instance.slug, member.email, 'the owner changed it now')).json()).toEqual({ next: 'done' });
  });

  it('ends an outstanding invitation when the password is set with a reset link', async () => {
    const { instance, admin } = await givenInstance(deps);
    const adminClient = new Client(app);
    await adminClient.login(instance.slug, admin.email, PASSWORD);
    const email = `both-${instance.slug}@example.test`;
    await adminClient.post('/api/v1/admin/users', { email, name: 'Bo Both', role: 'member' });
    const invitation = tokenIn((await deliveredTo(deps, email))[0]!.text);
    const reset = await forgot(instance.slug, email);
    expect((await new Client(app).post('/api/v1/auth/reset', { token: reset, password: 'bo chose with the reset' })).statusCode).toBe(204);
    expect(
      errorCode(await new Client(app).post('/api/v1/auth/invitation', { token: invitation, password: 'an old invitation again' })),
    ).toBe('forbidden');
  });
});
