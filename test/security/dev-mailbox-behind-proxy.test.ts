import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';

/** A GET with a Host header of our choosing (fetch may not set one): what a rebinding page sends. */
function getWithHost(server: ServerProcess, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

const errorCodeOf = (body: string) => (JSON.parse(body) as { error?: { code?: string } }).error?.code;

// Issue 10 item 1 (High): HOST=127.0.0.1 behind a same-host reverse proxy, PUBLIC_URL=https://…
// and no SMTP_URL yet served every reset link, invitation and backup code to the internet. The
// dev mailbox is a debug feature (CFG-01, ASVS 13.4.2): it needs the plain loopback start.
describe('the dev mailbox behind a reverse proxy', { timeout: 180_000 }, () => {
  it('does not exist when PUBLIC_URL is a public https URL and SMTP_URL is unset; mail waits in the outbox and the start says so', async () => {
    // What the proxy forwards: a request to the loopback listener (nginx's default Host is the upstream's).
    const server = await startServer({ PUBLIC_URL: 'https://keyward.example' });
    try {
      for (const host of [`127.0.0.1:${server.port}`, 'keyward.example']) {
        const api = await getWithHost(server, '/api/v1/dev/mailbox', host);
        expect(api.status).toBe(404);
        expect(errorCodeOf(api.body)).toBe('not_found');
        expect((await getWithHost(server, '/dev/mailbox', host)).status).toBe(404);
      }
      expect(server.output()).toContain('mail stays queued in the outbox');
      expect(server.output()).not.toContain('/dev/mailbox');
    } finally {
      await server.stop();
    }
  });

  it('refuses to start with KEYWARD_DEV_MAILBOX=1 behind a public URL or a trusted proxy', async () => {
    await expect(startServer({ PUBLIC_URL: 'https://keyward.example', KEYWARD_DEV_MAILBOX: '1' })).rejects.toThrow(
      /KEYWARD_DEV_MAILBOX=1 is refused: PUBLIC_URL/,
    );
    await expect(startServer({ TRUST_PROXY: '127.0.0.1', KEYWARD_DEV_MAILBOX: '1' })).rejects.toThrow(
      /KEYWARD_DEV_MAILBOX=1 is refused: TRUST_PROXY/,
    );
  });

  it('answers only for a loopback Host header, so a DNS-rebinding page cannot read it', async () => {
    const server = await startServer();
    try {
      for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`]) {
        expect((await getWithHost(server, '/api/v1/dev/mailbox', host)).status, host).toBe(200);
        expect((await getWithHost(server, '/dev/mailbox', host)).status, host).toBe(200);
      }
      for (const host of ['evil.test', `evil.test:${server.port}`, `127.0.0.1.evil.test:${server.port}`, 'localhost.evil.test']) {
        const api = await getWithHost(server, '/api/v1/dev/mailbox', host);
        expect(api.status, host).toBe(404);
        expect(errorCodeOf(api.body)).toBe('not_found');
        expect((await getWithHost(server, '/dev/mailbox', host)).status, host).toBe(404);
      }
    } finally {
      await server.stop();
    }
  });
});
