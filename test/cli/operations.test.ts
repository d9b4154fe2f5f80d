import { describe, expect, it } from 'vitest';
import { givenOperator, givenOperatorLoggedIn, OPERATOR_PASSWORD } from '../support/two-factor.ts';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { runOperation } from '../../src/cli/operations.ts';

// Issue 13: `instance list`, `instance set-plan`, `operator list`, `operator disable`, and the
// support console's plan change, run as the CLI runs them (operations-as-data) on each engine.
describe.each(engines())('the CLI operations and plan changes on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ database, deps, app } = t));

  const newOperator = () => givenOperator(deps);
  const operatorLoggedIn = () => givenOperatorLoggedIn(app, deps);

  /** An Enterprise instance whose admin turned on everything Enterprise allows, and shorter trust. */
  async function enterpriseWithEverything() {
    const { instance, admin } = await givenInstance(deps, 'enterprise');
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const trust = await client.request({
      method: 'PUT',
      url: '/api/v1/admin/instance-settings',
      payload: { knownLocations: { trustDays: 7 } },
    });
    expect(trust.statusCode, trust.body).toBe(200);
    const policy = await client.request({
      method: 'PUT',
      url: '/api/v1/admin/password-policy',
      payload: { twoFactor: { autoEnable: true, enforceSetup: true, maxPostpones: 2 }, password: { maxAgeDays: 90, warnDays: 7 } },
    });
    expect(policy.statusCode, policy.body).toBe(200);
    return { instance, admin };
  }

  const planEvents = (instanceId: string) =>
    database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('action', '=', 'instance.plan_changed')
      .execute();

  it('lists instances by slug, each with its plan', async () => {
    const { instance } = await givenInstance(deps, 'business');
    const listed = (await runOperation(deps, { op: 'instance.list', input: {} })) as Array<{ slug: string; plan: string }>;
    expect(listed.find((i) => i.slug === instance.slug)).toMatchObject({ name: instance.name, plan: 'business' });
    const slugs = listed.map((i) => i.slug);
    expect(slugs).toEqual([...slugs].sort());
  });

  it('moves an instance down from Enterprise: enforcement, auto-enable and rotation end, users choose again, audited', async () => {
    const { instance } = await enterpriseWithEverything();
    const member = await givenUser(deps, instance);
    const withApp = await givenUser(deps, instance);
    const appClient = new Client(app);
    expect((await appClient.login(instance.slug, withApp.email, PASSWORD)).json()).toMatchObject({ next: 'setup', canPostpone: false });
    const { secret } = (await appClient.post('/api/v1/auth/setup')).json();
    await appClient.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) });
    deps.clock.advanceSeconds(30);

    const changed = (await runOperation(deps, {
      op: 'instance.set-plan',
      input: { instanceSlug: instance.slug, plan: 'professional' },
    })) as {
      plan: string;
      changed: { before: Record<string, unknown>; after: Record<string, unknown> };
    };
    expect(changed.plan).toBe('professional');
    expect(changed.changed.after).toMatchObject({
      plan: 'professional',
      'policy.twoFactor.autoEnable': false,
      'policy.twoFactor.enforceSetup': false,
      'policy.twoFactor.maxPostpones': null,
      'policy.password.maxAgeDays': null,
      'knownLocations.trustDays': 30,
    });
    expect(changed.changed.before).toMatchObject({
      plan: 'enterprise',
      'policy.twoFactor.autoEnable': true,
      'knownLocations.trustDays': 7,
    });

    // A member without an app is back to their own switch (off): password only, a full session.
    expect((await new Client(app).login(instance.slug, member.email, PASSWORD)).json()).toEqual({ next: 'done' });
    // A member who set an app up keeps it: confirming it turned their own switch on.
    expect((await new Client(app).login(instance.slug, withApp.email, PASSWORD)).json()).toMatchObject({ next: 'verify' });
    const [event] = await planEvents(instance.id);
    expect(event).toMatchObject({ actor_type: 'cli' });
    expect(JSON.stringify(event!.details)).toContain('"plan":"enterprise"');

    // The same plan again changes nothing and records nothing.
    await runOperation(deps, { op: 'instance.set-plan', input: { instanceSlug: instance.slug, plan: 'professional' } });
    expect(await planEvents(instance.id)).toHaveLength(1);
    await expect(
      runOperation(deps, { op: 'instance.set-plan', input: { instanceSlug: instance.slug, plan: 'gold' } }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(
      runOperation(deps, { op: 'instance.set-plan', input: { instanceSlug: 'no-such-instance', plan: 'business' } }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('never leaves Enterprise rules on below Enterprise when a policy change races a plan change', async () => {
    for (let round = 0; round < 8; round += 1) {
      const { instance, admin } = await givenInstance(deps, 'enterprise');
      const client = new Client(app);
      await client.login(instance.slug, admin.email, PASSWORD);
      const [policy] = await Promise.all([
        client.request({ method: 'PUT', url: '/api/v1/admin/password-policy', payload: { twoFactor: { autoEnable: true } } }),
        runOperation(deps, { op: 'instance.set-plan', input: { instanceSlug: instance.slug, plan: 'professional' } }),
      ]);
      expect([200, 403]).toContain(policy.statusCode);
      const row = await database.db
        .selectFrom('instances')
        .select(['plan', 'two_factor_auto_enable'])
        .where('id', '=', instance.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ plan: 'professional', two_factor_auto_enable: false });
    }
  });

  it('keeps the trusted-browser settings for Business and Enterprise only', async () => {
    const { instance, admin } = await givenInstance(deps, 'professional');
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const put = () =>
      client.request({ method: 'PUT', url: '/api/v1/admin/instance-settings', payload: { knownLocations: { trustDays: 7 } } });
    expect(errorCode(await put())).toBe('plan_required');
    await runOperation(deps, { op: 'instance.set-plan', input: { instanceSlug: instance.slug, plan: 'business' } });
    await client.login(instance.slug, admin.email, PASSWORD);
    expect((await put()).json().knownLocations.trustDays).toBe(7);
    // Back down to Professional: the shipped defaults again.
    await runOperation(deps, { op: 'instance.set-plan', input: { instanceSlug: instance.slug, plan: 'professional' } });
    await client.login(instance.slug, admin.email, PASSWORD);
    expect((await client.get('/api/v1/admin/instance-settings')).json().knownLocations.trustDays).toBe(30);
  });

  it('lets support change a plan with a fresh code only, and the instance log names the operator', async () => {
    const { instance } = await enterpriseWithEverything();
    const { operator, client, secret } = await operatorLoggedIn();
    const put = (plan: string) =>
      client.request({ method: 'PUT', url: `/api/v1/support/instances/${instance.slug}/plan`, payload: { plan } });
    deps.clock.advanceSeconds(11 * 60);
    expect(errorCode(await put('business'))).toBe('step_up_required');
    await client.post('/api/v1/support/step-up', { code: oathtool(secret, deps.clock.now()) });
    const changed = await put('business');
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ instance: { slug: instance.slug, plan: 'business' }, changed: { after: { plan: 'business' } } });
    // Business keeps the trusted-browser settings; Enterprise's rules end.
    expect(changed.json().changed.after['knownLocations.trustDays']).toBeUndefined();
    expect(errorCode(await put('gold'))).toBe('invalid_request');
    const [event] = await planEvents(instance.id);
    expect(event).toMatchObject({ actor_type: 'operator', actor_id: operator.id });
  });

  it('lists operators and disables one: sessions end, the password no longer logs in (as an unknown email), audited', async () => {
    const { operator, client } = await operatorLoggedIn();
    const other = await newOperator();
    const listed = (await runOperation(deps, { op: 'operator.list', input: {} })) as Array<{
      email: string;
      status: string;
      twoFactor: string;
    }>;
    expect(listed.find((o) => o.email === operator.email)).toMatchObject({ status: 'active', twoFactor: 'set up' });
    expect(listed.find((o) => o.email === other.email)).toMatchObject({ status: 'active', twoFactor: 'at the next login' });

    const disabled = await runOperation(deps, { op: 'operator.disable', input: { email: operator.email.toUpperCase(), operator: 'root' } });
    expect(disabled).toMatchObject({ email: operator.email, status: 'disabled' });
    expect(errorCode(await client.get('/api/v1/support/me'))).toBe('unauthenticated');
    const again = await new Client(app).post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD });
    const unknown = await new Client(app).post('/api/v1/support/login', { email: 'nobody@vendor.test', password: OPERATOR_PASSWORD });
    expect(errorCode(again)).toBe('invalid_credentials');
    expect(again.json()).toEqual(unknown.json());
    const after = (await runOperation(deps, { op: 'operator.list', input: {} })) as Array<{ email: string; status: string }>;
    expect(after.find((o) => o.email === operator.email)?.status).toBe('disabled');
    expect(after.find((o) => o.email === other.email)?.status).toBe('active');
    const events = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'support.operator_disabled')
      .where('target_id', '=', operator.id)
      .execute();
    expect(events).toHaveLength(1);
    await expect(
      runOperation(deps, { op: 'operator.disable', input: { email: 'nobody@vendor.test', operator: 'root' } }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
