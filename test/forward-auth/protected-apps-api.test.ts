import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engines } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, useTestApp } from '../support/app.ts';
import type { EventJson } from '../support/audit.ts';

const APPS = '/api/v1/admin/protected-apps';
const CLIENTS = '/api/v1/admin/oidc/clients';
const grafana = (host: string) => ({ name: 'Grafana', hosts: [host], rules: [{ prefix: '/admin', require: 'mfa' }] });
let hostCounter = 0;
const uniqueHost = () => `app${++hostCounter}-${Math.random().toString(36).slice(2, 8)}.example.test`;

/** The admin API of an instance's protected applications (SPEC §7). */
describe.each(engines())('Protected applications API on %s', (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp(engine, (t) => ({ deps, app } = t));

  async function adminClient() {
    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    return { instance, admin, client };
  }
  const patch = (client: Client, id: string, payload: object) => client.request({ method: 'PATCH', url: `${APPS}/${id}`, payload });
  const remove = (client: Client, id: string) => client.request({ method: 'DELETE', url: `${APPS}/${id}` });
  const eventsOf = async (client: Client) => (await client.get('/api/v1/admin/audit')).json().events as EventJson[];

  it('creates, lists, changes and deletes an application with its internal client, each an audit event', async () => {
    const { client, instance } = await adminClient();
    const host = uniqueHost();
    const created = await client.post(APPS, { ...grafana(host.toUpperCase()), hosts: [host.toUpperCase(), `${host}:8443`] });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ name: 'Grafana', hosts: [host, `${host}:8443`].sort(), rules: [{ prefix: '/admin', require: 'mfa' }] });
    expect(body.clientId).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect((await client.get(APPS)).json().apps).toEqual([body]);

    // The client exists for the provider, with the callback on each host (http too: PUBLIC_URL is http here)…
    const stored = await deps.stores.forInstance(instance.id).oidcClients.find(body.clientId);
    expect(stored).toMatchObject({ ownerAppId: body.id, grantTypes: ['authorization_code'], public: false });
    expect(stored!.redirectUris).toEqual(
      expect.arrayContaining([
        `https://${host}/.keyward/callback`,
        `https://${host}:8443/.keyward/callback`,
        `http://${host}/.keyward/callback`,
      ]),
    );
    // … but is the application's: the client API neither lists, shows, changes, rotates nor deletes it.
    expect((await client.get(CLIENTS)).json().clients).toEqual([]);
    expect(errorCode(await client.get(`${CLIENTS}/${body.clientId}`))).toBe('not_found');
    expect(errorCode(await client.request({ method: 'PATCH', url: `${CLIENTS}/${body.clientId}`, payload: { name: 'x' } }))).toBe(
      'not_found',
    );
    expect(errorCode(await client.post(`${CLIENTS}/${body.clientId}/secret`))).toBe('not_found');
    expect(errorCode(await client.request({ method: 'DELETE', url: `${CLIENTS}/${body.clientId}` }))).toBe('not_found');

    const other = uniqueHost();
    const changed = await patch(client, body.id, { hosts: [other], rules: [] });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ hosts: [other], rules: [] });
    const client2 = await deps.stores.forInstance(instance.id).oidcClients.find(body.clientId);
    expect(client2!.redirectUris).toEqual([`https://${other}/.keyward/callback`, `http://${other}/.keyward/callback`]);

    expect((await remove(client, body.id)).statusCode).toBe(204);
    expect(await deps.stores.forInstance(instance.id).oidcClients.find(body.clientId)).toBeNull();
    expect(errorCode(await remove(client, body.id))).toBe('not_found');
    expect((await client.get(APPS)).json().apps).toEqual([]);
    // The host is free again.
    expect((await client.post(APPS, grafana(other))).statusCode).toBe(201);
    const actions = (await eventsOf(client)).map((e) => e.action);
    expect(actions.filter((a) => a.startsWith('protected_app.'))).toEqual([
      'protected_app.created',
      'protected_app.deleted',
      'protected_app.updated',
      'protected_app.created',
    ]);
  });

  it('takes an optional cookieDomain, a parent domain of every host, and refuses any other: 400 invalid_request on cookieDomain', async () => {
    const { client } = await adminClient();
    const parent = `p${Math.random().toString(36).slice(2, 8)}.example.test`;
    const hosts = [`grafana.${parent}`, `wiki.${parent}:8443`];
    const refused = async (response: Awaited<ReturnType<typeof client.post>>) => {
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'invalid_request', field: 'cookieDomain' });
    };
    // Host-only unless asked for: null by default.
    const plain = await client.post(APPS, grafana(uniqueHost()));
    expect(plain.json().cookieDomain).toBeNull();
    // Not a single label (a TLD), not an IP address, not with a port, not a name some host is not under.
    for (const cookieDomain of ['test', 'com', '127.0.0.1', `${parent}:8443`, 'other.example.test', `x.${parent}`, 'exa mple.test', 42]) {
      await refused(await client.post(APPS, { name: 'Wiki', hosts, cookieDomain }));
    }
    const ip = await client.post(APPS, { name: 'Ip', hosts: ['10.0.0.7'], cookieDomain: '0.7' });
    await refused(ip);
    const created = await client.post(APPS, { name: 'Wiki', hosts, cookieDomain: `.${parent.toUpperCase()}` });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.cookieDomain).toBe(parent);
    expect((await client.get(APPS)).json().apps.find((a: { id: string }) => a.id === body.id).cookieDomain).toBe(parent);
    // A patch is checked as a whole: a host outside the domain is refused while the domain stays.
    await refused(await patch(client, body.id, { hosts: [...hosts, uniqueHost()] }));
    expect((await patch(client, body.id, { cookieDomain: 'example.test' })).json().cookieDomain).toBe('example.test');
    expect((await patch(client, body.id, { cookieDomain: null })).json().cookieDomain).toBeNull();
    const events = (await eventsOf(client)).filter((e) => e.action.startsWith('protected_app.'));
    const created2 = events.find((e) => e.action === 'protected_app.created' && e.target?.id === body.id);
    expect(created2?.details).toMatchObject({ cookieDomain: parent });
    const updates = events.filter((e) => e.action === 'protected_app.updated').map((e) => e.details);
    expect(updates).toEqual(
      expect.arrayContaining([
        { before: { cookieDomain: parent }, after: { cookieDomain: 'example.test' } },
        { before: { cookieDomain: 'example.test' }, after: { cookieDomain: null } },
      ]),
    );
  });

  it('refuses a host that any application of any instance has: 409 host_taken, nothing stored', async () => {
    const { client } = await adminClient();
    const { client: elsewhere } = await adminClient();
    const host = uniqueHost();
    expect((await client.post(APPS, grafana(host))).statusCode).toBe(201);
    const taken = await elsewhere.post(APPS, grafana(host));
    expect(taken.statusCode).toBe(409);
    expect(errorCode(taken)).toBe('host_taken');
    expect((await elsewhere.get(APPS)).json().apps).toEqual([]);
    expect((await elsewhere.get(CLIENTS)).json().clients).toEqual([]);
    const mine = (await elsewhere.post(APPS, grafana(uniqueHost()))).json();
    expect(errorCode(await patch(elsewhere, mine.id, { hosts: [host] }))).toBe('host_taken');
  });

  it('does not show, change or delete another instance’s application', async () => {
    const { client } = await adminClient();
    const { client: elsewhere } = await adminClient();
    const theirs = (await client.post(APPS, grafana(uniqueHost()))).json();
    expect((await elsewhere.get(APPS)).json().apps).toEqual([]);
    expect(errorCode(await patch(elsewhere, theirs.id, { name: 'Mine' }))).toBe('not_found');
    expect(errorCode(await remove(elsewhere, theirs.id))).toBe('not_found');
    expect((await client.get(APPS)).json().apps).toHaveLength(1);
  });

  it.each([
    ['no host', { name: 'A', hosts: [] }, 'hosts'],
    ['a URL as host', { name: 'A', hosts: ['https://a.example.test'] }, 'hosts'],
    ['a path in the host', { name: 'A', hosts: ['a.example.test/x'] }, 'hosts'],
    ['userinfo in the host', { name: 'A', hosts: ['user@a.example.test'] }, 'hosts'],
    ['a port out of range', { name: 'A', hosts: ['a.example.test:70000'] }, 'hosts'],
    ['a host twice', { name: 'A', hosts: ['a.example.test', 'A.example.test'] }, 'hosts'],
    ['a prefix without /', { name: 'A', hosts: ['a.example.test'], rules: [{ prefix: 'admin', require: 'admin' }] }, 'rules'],
    ['a prefix with ..', { name: 'A', hosts: ['a.example.test'], rules: [{ prefix: '/x/../admin', require: 'admin' }] }, 'rules'],
    [
      'a prefix twice',
      {
        name: 'A',
        hosts: ['a.example.test'],
        rules: [
          { prefix: '/a', require: 'any' },
          { prefix: '/a', require: 'mfa' },
        ],
      },
      'rules',
    ],
    ['an empty name', { name: ' ', hosts: ['a.example.test'] }, 'name'],
  ])('refuses %s: 400 invalid_request naming the field', async (_title, body, field) => {
    const { client } = await adminClient();
    const refused = await client.post(APPS, body);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({ code: 'invalid_request', field });
  });

  it('is for administrators only', async () => {
    const { instance } = await givenInstance(deps);
    const member = await givenUser(deps, instance);
    const client = new Client(app);
    await client.login(instance.slug, member.email, PASSWORD);
    expect(errorCode(await client.get(APPS))).toBe('forbidden');
    expect(errorCode(await client.post(APPS, grafana(uniqueHost())))).toBe('forbidden');
    expect(errorCode(await new Client(app).get(APPS))).toBe('unauthenticated');
  });
});
