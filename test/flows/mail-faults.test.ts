import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { freshPostgresDatabase } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, testDeps, type TestDeps } from '../support/deps.ts';
import { Client, useTestApp } from '../support/app.ts';
import { oathtool } from '../support/oathtool.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { openDatabase } from '../../src/storage/connect.ts';
import { createOutboxWorker } from '../../src/mail/outbox-worker.ts';
import { smtpTransport } from '../../src/mail/transport.ts';
import { backoffSeconds } from '../../src/mail/outbox-worker.ts';
import { createSecretBox, generateKeyText, parseKey } from '../../src/crypto/secret-box.ts';

const silent = pino({ level: 'silent' });
const CODE_LINE = /^Backup code: (\S+)$/m;

describe('mail when SMTP is down during 2FA setup', () => {
  let deps: TestDeps;
  let app: FastifyInstance;
  useTestApp('pglite', (t) => ({ deps, app } = t));

  it('confirms setup anyway, and delivers the backup code once when SMTP is back', async () => {
    const sink = new SmtpSink();
    await sink.start();
    const port = sink.port;
    await sink.stop();
    const worker = createOutboxWorker(
      deps.stores.outbox,
      smtpTransport(`smtp://127.0.0.1:${port}`, 'k <k@k.test>', 'k.test'),
      deps.secretBox,
      deps.clock,
      silent,
    );

    const { instance, admin } = await givenInstance(deps);
    const client = new Client(app);
    await client.login(instance.slug, admin.email, PASSWORD);
    await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } });
    const { secret } = (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json();
    expect((await client.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({
      next: 'done',
    });
    await worker.drain();
    await worker.drain();

    await sink.start(port);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      deps.clock.advanceSeconds(backoffSeconds(attempt, 900) + 1);
      await worker.drain();
    }
    const codes = sink.received.filter((m) => m.to.includes(admin.email) && CODE_LINE.test(m.text));
    expect(codes).toHaveLength(1);
    await worker.stop();
    await sink.stop();
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('two server processes draining one outbox', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let sink: SmtpSink;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const key = generateKeyText();
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    sink = new SmtpSink();
    await sink.start();
    const env = { DATABASE_URL: database.url, KEYWARD_SECRET_KEY: key, SMTP_URL: sink.url };
    a = await startServer(env);
    b = await startServer(env);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await sink?.stop();
    await database?.drop();
  });

  it('sends every mail exactly once', async () => {
    const handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
    const deps = { ...(await testDeps(handle)), secretBox: createSecretBox([parseKey(key)]) };
    const { instance, admin } = await givenInstance(deps);
    const emails = [admin.email];
    for (let i = 0; i < 40; i += 1) emails.push((await givenUser(deps, instance, `u${i}@${instance.slug}.test`)).email);
    const deadline = Date.now() + 60_000;
    const count = () => emails.filter((e) => sink.received.some((m) => m.to.includes(e))).length;
    while (count() < emails.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    // A little longer, to catch a late duplicate.
    await new Promise((r) => setTimeout(r, 1500));
    for (const email of emails)
      expect(
        sink.received.filter((m) => m.to.includes(email)),
        email,
      ).toHaveLength(1);
    const statuses = await handle.db.selectFrom('outbox').select('status').execute();
    expect(statuses.every((s) => s.status === 'sent')).toBe(true);
    await handle.close();
  });
});
