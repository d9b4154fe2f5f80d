import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { openTestDatabase } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, testDeps, type TestDeps } from '../support/deps.ts';
import { Client, errorCode, testApp } from '../support/app.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { smtpTransport } from '../../src/mail/transport.ts';
import { backoffSeconds, createOutboxWorker, type OutboxWorkerOptions } from '../../src/mail/outbox-worker.ts';

const silent = pino({ level: 'silent' });

describe('mail through the outbox to a real SMTP server', () => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    deps = await testDeps(database);
  });
  afterAll(() => database.close());

  /** An outbox worker sending through SMTP at `url` (a sink's, or a port nothing listens on). */
  const smtpWorker = (url: string, options?: OutboxWorkerOptions) =>
    createOutboxWorker(
      deps.stores.outbox,
      smtpTransport(url, 'keyward <no-reply@keyward.test>', 'keyward.test'),
      deps.secretBox,
      deps.clock,
      silent,
      options,
    );

  it('delivers the account mail of a new user over SMTP, with a plain-text and an HTML part', async () => {
    const sink = new SmtpSink();
    await sink.start();
    const worker = smtpWorker(sink.url);
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance, `grace-${instance.slug}@example.test`);
    await worker.drain();
    const mine = sink.received.filter((m) => m.to.includes(user.email));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.subject).toBe(`Your ${instance.name} account`);
    expect(mine[0]!.text).toContain(`/login?instance=${instance.slug}`);
    expect(mine[0]!.html).toContain(instance.name);
    expect(mine[0]!.messageId).toMatch(/^<outbox-\d+@keyward\.test>$/);
    await worker.stop();
    await sink.stop();
  });

  it('stops for good: its pooled connections close with it, and it cannot be started again', async () => {
    const sink = new SmtpSink();
    await sink.start();
    const worker = smtpWorker(sink.url);
    await givenInstance(deps);
    await worker.drain();
    expect(sink.connections).toBe(1);
    expect(sink.closed).toBe(0);
    await worker.stop();
    // The client's QUIT reaches the sink a moment later; left open, the pool would keep it minutes.
    for (let waited = 0; sink.closed === 0 && waited < 2_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sink.closed).toBe(1);
    expect(() => worker.start()).toThrow(/stopped for good/);
    await sink.stop();
  });

  it('sends the next mail on a new connection when the SMTP server has closed the kept one', async () => {
    const sink = new SmtpSink();
    await sink.start();
    const worker = smtpWorker(sink.url);
    await givenInstance(deps);
    expect(await worker.drain()).toBeGreaterThanOrEqual(1);
    sink.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { instance } = await givenInstance(deps);
    expect(await worker.drain()).toBe(1);
    expect(sink.received.filter((m) => m.subject.includes(instance.name))).toHaveLength(1);
    expect(sink.connections).toBe(2);
    await worker.stop();
    await sink.stop();
  });

  it('sends one mail after another over one kept SMTP connection, unless SMTP_URL says pool=false', async () => {
    for (const [query, connections] of [
      ['', 1],
      ['?pool=false', 3],
    ] as const) {
      const sink = new SmtpSink();
      await sink.start();
      const worker = smtpWorker(`${sink.url}${query}`);
      const { instance } = await givenInstance(deps);
      await worker.drain(); // the administrator's mail
      for (const name of ['ada', 'alan']) await givenUser(deps, instance, `${name}-${instance.slug}@example.test`);
      await worker.drain();
      expect(sink.received.filter((m) => m.to.some((to) => to.endsWith(`-${instance.slug}@example.test`)))).toHaveLength(2);
      expect(sink.received.length).toBeGreaterThanOrEqual(3);
      expect(sink.connections).toBe(connections);
      await worker.stop();
      await sink.stop();
    }
  });

  it('keeps mail while SMTP is down and delivers it once when SMTP is back', async () => {
    const sink = new SmtpSink();
    await sink.start();
    const port = sink.port;
    await sink.stop();
    const worker = smtpWorker(`smtp://127.0.0.1:${port}`);
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance, `down-${instance.slug}@example.test`);

    expect(await worker.drain()).toBe(0);
    const row = await database.db.selectFrom('outbox').selectAll().where('recipient', '=', user.email).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.last_error).toBeTruthy();

    await sink.start(port);
    // Not yet due: the backoff holds it back.
    await worker.drain();
    expect(sink.received.filter((m) => m.to.includes(user.email))).toHaveLength(0);
    deps.clock.advanceSeconds(backoffSeconds(1, 900) + 1);
    await worker.drain();
    await worker.drain();
    expect(sink.received.filter((m) => m.to.includes(user.email))).toHaveLength(1);
    const sent = await database.db.selectFrom('outbox').selectAll().where('recipient', '=', user.email).executeTakeFirstOrThrow();
    expect(sent).toMatchObject({ status: 'sent', attempts: 2 });
    await worker.stop();
    await sink.stop();
  });

  it('gives a mail up as dead after the retry window, keeping it for admins to see', async () => {
    const worker = smtpWorker('smtp://127.0.0.1:9', { giveUpAfterSeconds: 60 });
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance, `dead-${instance.slug}@example.test`);
    await worker.drain();
    deps.clock.advanceSeconds(61);
    await worker.drain();
    const row = await database.db.selectFrom('outbox').selectAll().where('recipient', '=', user.email).executeTakeFirstOrThrow();
    expect(row.status).toBe('dead');
    await worker.stop();
  });

  it('shows administrators their instance’s dead mail without bodies, and retries it', async () => {
    const worker = smtpWorker('smtp://127.0.0.1:9', { giveUpAfterSeconds: 60 });
    const { instance, admin } = await givenInstance(deps);
    const other = await givenInstance(deps);
    const member = await givenUser(deps, instance, `dead-${instance.slug}@example.test`);
    await worker.drain();
    deps.clock.advanceSeconds(61);
    await worker.drain();
    await worker.stop();
    const app = await testApp(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    const dead = (await client.get('/api/v1/admin/mail?status=dead')).json().messages;
    expect(dead.map((m: { to: string }) => m.to).sort()).toEqual([admin.email, member.email].sort());
    expect(Object.keys(dead[0]).sort()).toEqual(['attempts', 'createdAt', 'id', 'lastError', 'sentAt', 'status', 'subject', 'to']);
    expect(dead.some((m: { to: string }) => m.to === other.admin.email)).toBe(false);
    expect((await client.post(`/api/v1/admin/mail/${dead[0].id}/retry`)).statusCode).toBe(204);
    expect(errorCode(await client.post(`/api/v1/admin/mail/${dead[0].id}/retry`))).toBe('not_found');
    const row = await database.db.selectFrom('outbox').select('status').where('id', '=', dead[0].id).executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
    const memberClient = new Client(app);
    await memberClient.login(instance.slug, member.email, PASSWORD);
    expect(errorCode(await memberClient.get('/api/v1/admin/mail'))).toBe('forbidden');
    const outsider = new Client(app);
    await outsider.login(other.instance.slug, other.admin.email, PASSWORD);
    expect(errorCode(await outsider.post(`/api/v1/admin/mail/${dead[1].id}/retry`))).toBe('not_found');
    await app.close();
  });

  it('keeps queued mail bodies sealed in the database', async () => {
    const { instance } = await givenInstance(deps);
    const row = await database.db.selectFrom('outbox').selectAll().where('instance_id', '=', instance.id).executeTakeFirstOrThrow();
    expect(row.sealed).toBe(true);
    expect(row.text_body).not.toContain('Hello');
    expect(row.html_body).not.toContain('<html');
  });

  it('backs off exponentially up to a ceiling', () => {
    expect([1, 2, 3, 4].map((n) => backoffSeconds(n, 900))).toEqual([5, 10, 20, 40]);
    expect(backoffSeconds(30, 900)).toBe(900);
  });
});
