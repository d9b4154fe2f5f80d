import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SmtpSink } from '../support/smtp-sink.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { HttpClient } from '../support/http-client.ts';

/** Kills the server holding the embedded database in `dataDir` with SIGKILL: no cleanup at all. */
function killHard(dataDir: string): void {
  const pid = Number(fs.readFileSync(path.join(dataDir, 'keyward.lock'), 'utf8'));
  process.kill(pid, 'SIGKILL');
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The outbox across a crash: a server killed with SIGKILL after the commit and before the
// send (here: while the SMTP server has not yet acknowledged the message) — the restarted server
// sends the mail, and it arrives once.
describe('mail across a server crash', () => {
  let sink: SmtpSink;
  let dataDir: string;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    sink = new SmtpSink();
    await sink.start();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-crash-'));
  });
  afterAll(async () => {
    for (const server of servers) await server.stop().catch(() => {});
    await sink.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends the mail after a restart, once', async () => {
    const env = { KEYWARD_DATA_DIR: dataDir, SMTP_URL: sink.url, KEYWARD_MAIL_LEASE_SECONDS: '2' };
    sink.stall = true;
    const first = await startServer(env);
    servers.push(first);
    const token = new URL(first.setupLink!).hash.replace('#token=', '');
    const created = await new HttpClient(first.origin).post('/api/v1/setup', {
      token,
      instance: { slug: 'crash', name: 'Crash Test', plan: 'business' },
      admin: { email: 'ada@crash.test', name: 'Ada', password: 'a long enough password' },
    });
    expect(created.status).toBe(200);
    // The welcome mail is committed and being sent: the SMTP server holds it unacknowledged.
    await until(() => sink.stalled >= 1, 20_000);
    killHard(dataDir);
    await first.stop().catch(() => {});

    sink.stall = false;
    const second = await startServer(env);
    servers.push(second);
    await until(() => sink.received.some((m) => m.to.includes('ada@crash.test')), 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(sink.received.filter((m) => m.to.includes('ada@crash.test'))).toHaveLength(1);
  }, 90_000);
});
