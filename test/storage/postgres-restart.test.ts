/**
 * PostgreSQL restarted mid-load (issue 15): one real keyward process on a PostgreSQL cluster of
 * the test's own (test/support/private-postgres.ts), four clients logging in without pause
 * (password only, password + TOTP, password + backup code), and the database stopped and started
 * again under them: once with `-m fast` (sessions ended with 57P01) and once with `-m immediate`
 * (every backend killed, crash recovery from WAL). Asserted: while the database is away requests
 * fail with 503 `service_unavailable` and Retry-After and /readyz says 503; nothing is half-written
 * (each backup code the clients saw accepted was used once and replaced by exactly one mail, no
 * code accepted twice, each session a client got works, every mail delivered once, the database's
 * counts match what the clients saw); and the same process serves again within a bounded time,
 * its pool holding no dead connection.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { startPrivatePostgres, privatePostgresUnavailable, type PrivatePostgres } from '../support/private-postgres.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { HttpClient } from '../support/http-client.ts';
import { oathtool } from '../support/oathtool.ts';
import { givenInstance, givenUser, PASSWORD, TEST_SECRET_KEY, testDeps } from '../support/deps.ts';
import { openDatabase } from '../../src/storage/connect.ts';

const unavailable = privatePostgresUnavailable();
// Why fail under CI: a CI machine without the server binaries would otherwise pass this file by skipping it.
if (unavailable && process.env.CI === 'true') throw new Error(`postgres-restart.test.ts needs a private PostgreSQL: ${unavailable}`);

/** Half for each restart: RFC 6238 allows each user one login per time step, and the two tests run within a step or two. */
const TOTP_USERS = 8;
const BACKUP_USERS = 2;
/** Load before the database goes away, and after it is back. */
const LOAD_BEFORE_MS = 1500;
const LOAD_AFTER_MS = 2500;
/** How long the database stays down: long enough that every client meets it away. */
const DOWN_MS = 1500;
const RECOVERY_MS = 15_000;
const MAIL_WAIT_MS = 15_000;
/** The server's pool, and the probe after recovery: this many requests in a row must succeed within PROBE_MS. */
const POOL_SIZE = 4;
const PROBE_REQUESTS = 2 * POOL_SIZE;
const PROBE_MS = 3000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stepOf = (date: Date) => Math.floor(date.getTime() / 30_000);

interface Answer {
  status: number;
  json: any;
  headers: Headers;
}

/** What the clients saw, for the assertions after the load. */
interface Seen {
  /** Every 503 with its body's code and Retry-After. */
  unavailable: Array<{ code: unknown; retryAfter: string | null }>;
  /** Requests that got no answer at all (connection refused or reset): the process must answer every one. */
  dropped: string[];
  /** Any other status that is not the step's success, with its code. */
  other: Array<{ status: number; code: unknown; path: string }>;
  /** Clients with a full session, and whose it is. */
  sessions: Array<{ client: HttpClient; email: string }>;
  /** Accepted TOTP codes by email and step. */
  totpAccepted: Map<string, number[]>;
  /** A second-factor request that got no clear answer (503: it may or may not have committed). */
  totpUnclear: Map<string, number>;
  backupUnclear: Map<string, number>;
  /** Backup codes accepted, by email. */
  backupAccepted: Map<string, string[]>;
  /** Password steps that got no clear answer (each may have left a session behind). */
  passwordUnclear: Map<string, number>;
}

/** Backup codes are a chain across the tests (each use mails the next): what was seen of them is kept for the file. */
const backupAcceptedInFile = new Map<string, string[]>();
const backupUnclearInFile = new Map<string, number>();

function newSeen(): Seen {
  return {
    unavailable: [],
    dropped: [],
    other: [],
    sessions: [],
    totpAccepted: new Map(),
    totpUnclear: new Map(),
    backupUnclear: backupUnclearInFile,
    backupAccepted: backupAcceptedInFile,
    passwordUnclear: new Map(),
  };
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

describe.skipIf(unavailable !== null && process.env.CI !== 'true')(
  `PostgreSQL restarted mid-load${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  { timeout: 60_000 },
  () => {
    let postgres: PrivatePostgres;
    let server: ServerProcess;
    let sink: SmtpSink;
    let slug: string;
    const passwordUsers: string[] = [];
    const totpUsers: Array<{ email: string; secret: string; lastStep: number }> = [];
    const backupUsers: Array<{ email: string; code: string; mails: number }> = [];

    beforeAll(async () => {
      postgres = await startPrivatePostgres();
      sink = new SmtpSink();
      await sink.start();
      server = await startServer(
        {
          DATABASE_URL: postgres.url,
          // The test's own deps (users created in-process) seal with this key too.
          KEYWARD_SECRET_KEY: TEST_SECRET_KEY,
          SMTP_URL: sink.url,
          KEYWARD_MAIL_LEASE_SECONDS: '10',
          KEYWARD_PG_POOL_SIZE: String(POOL_SIZE),
        },
        { freshDataDir: true },
      );
      const handle = await openDatabase({ kind: 'postgres', url: postgres.url, poolSize: 2 });
      try {
        const deps = await testDeps(handle);
        const { instance, admin } = await givenInstance(deps);
        slug = instance.slug;
        passwordUsers.push(admin.email);
        for (let i = 0; i < 2; i += 1) passwordUsers.push((await givenUser(deps, instance)).email);
        for (let i = 0; i < TOTP_USERS + BACKUP_USERS; i += 1) {
          const { email } = await givenUser(deps, instance);
          const secret = await enrol(email);
          if (i < TOTP_USERS) totpUsers.push({ email, secret, lastStep: stepOf(new Date()) });
          else backupUsers.push({ email, code: (await backupCodes(email, 1))[0]!, mails: 1 });
        }
      } finally {
        await handle.close();
      }
    }, 60_000);

    afterAll(async () => {
      await server?.stop();
      await sink?.stop();
      await postgres?.destroy();
    });

    async function enrol(email: string): Promise<string> {
      const client = new HttpClient(server.origin);
      expect((await client.post('/api/v1/auth/login', { instance: slug, email, password: PASSWORD })).json).toEqual({ next: 'done' });
      expect((await client.request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);
      const { secret } = (await client.post('/api/v1/auth/setup', { currentPassword: PASSWORD })).json;
      expect((await client.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, new Date()) })).json).toEqual({ next: 'done' });
      return secret;
    }

    /** The backup codes mailed to `email`, oldest first, once there are at least `count` (bounded wait). */
    async function backupCodes(email: string, count: number): Promise<string[]> {
      const deadline = Date.now() + MAIL_WAIT_MS;
      for (;;) {
        const codes = sink.received
          .filter((mail) => mail.to.includes(email))
          .flatMap((mail) => mail.text.match(/Backup code: (\S+)/)?.[1] ?? []);
        if (codes.length >= count) return codes;
        if (Date.now() > deadline)
          throw new Error(`${count} backup code mails to ${email}: only ${codes.length} within ${MAIL_WAIT_MS} ms`);
        await sleep(50);
      }
    }

    /** One request; a refused connection or reset counts as status 0 (the server must not drop any). */
    async function send(client: HttpClient, seen: Seen, path: string, body: unknown): Promise<Answer> {
      const answer = await client.post(path, body).catch((error: Error) => ({
        status: 0,
        json: { error: (error.cause as Error | undefined)?.message ?? error.message },
        headers: new Headers(),
      }));
      if (answer.status === 0) seen.dropped.push(`${path}: ${answer.json.error}`);
      if (answer.status === 503) {
        seen.unavailable.push({ code: answer.json?.error?.code, retryAfter: answer.headers.get('retry-after') });
        await sleep(100);
      }
      return answer;
    }

    /** Password step; 'verify' or 'done' on success, null otherwise (recorded). */
    async function password(client: HttpClient, seen: Seen, email: string): Promise<string | null> {
      const answer = await send(client, seen, '/api/v1/auth/login', { instance: slug, email, password: PASSWORD });
      if (answer.status === 200) return answer.json.next as string;
      if (answer.status === 503 || answer.status === 0) bump(seen.passwordUnclear, email);
      else seen.other.push({ status: answer.status, code: answer.json?.error?.code, path: 'login' });
      return null;
    }

    async function passwordLoad(seen: Seen, until: () => boolean): Promise<void> {
      for (let i = 0; !until(); i += 1) {
        const email = passwordUsers[i % passwordUsers.length]!;
        const client = new HttpClient(server.origin);
        const next = await password(client, seen, email);
        if (next === 'done') seen.sessions.push({ client, email });
        else if (next !== null) seen.other.push({ status: 200, code: next, path: 'login' });
      }
    }

    async function totpLoad(seen: Seen, users: typeof totpUsers, until: () => boolean): Promise<void> {
      for (let i = 0; !until(); i += 1) {
        const user = users[i % users.length]!;
        // RFC 6238 §5.2: each step once; ±1 step of drift is accepted, so a user has up to the next step.
        const step = Math.max(user.lastStep + 1, stepOf(new Date()) - 1);
        if (step > stepOf(new Date()) + 1) {
          if (i % users.length === users.length - 1) await sleep(100);
          continue;
        }
        const client = new HttpClient(server.origin);
        const next = await password(client, seen, user.email);
        if (next === null) continue;
        if (next !== 'verify') seen.other.push({ status: 200, code: next, path: 'login' });
        const answer = await send(client, seen, '/api/v1/auth/verify', { code: oathtool(user.secret, new Date(step * 30_000)) });
        if (answer.status === 200) {
          user.lastStep = step;
          seen.totpAccepted.set(user.email, [...(seen.totpAccepted.get(user.email) ?? []), step]);
          seen.sessions.push({ client, email: user.email });
        } else if (answer.status === 503 || answer.status === 0) {
          // It may have used the step: never send it again.
          user.lastStep = step;
          bump(seen.totpUnclear, user.email);
        } else seen.other.push({ status: answer.status, code: answer.json?.error?.code, path: 'verify totp' });
      }
    }

    async function backupLoad(seen: Seen, user: (typeof backupUsers)[number], until: () => boolean): Promise<void> {
      while (!until()) {
        const client = new HttpClient(server.origin);
        const next = await password(client, seen, user.email);
        if (next === null) continue;
        const answer = await send(client, seen, '/api/v1/auth/verify', { backupCode: user.code });
        if (answer.status === 200) {
          seen.backupAccepted.set(user.email, [...(seen.backupAccepted.get(user.email) ?? []), user.code]);
          seen.sessions.push({ client, email: user.email });
          user.mails += 1;
          user.code = (await backupCodes(user.email, user.mails)).at(-1)!;
        } else if (answer.status === 503 || answer.status === 0) {
          bump(seen.backupUnclear, user.email);
        } else if (answer.status === 401) {
          // Only after an unclear answer: that use committed, and its replacement is on its way.
          expect(seen.backupUnclear.get(user.email) ?? 0, `${user.email}'s backup code refused`).toBeGreaterThan(0);
          user.mails += 1;
          user.code = (await backupCodes(user.email, user.mails)).at(-1)!;
        } else seen.other.push({ status: answer.status, code: answer.json?.error?.code, path: 'verify backup' });
      }
    }

    async function readyz(): Promise<number> {
      return fetch(`${server.origin}/readyz`).then(
        (response) => response.status,
        () => 0,
      );
    }

    async function restartUnderLoad(mode: 'fast' | 'immediate') {
      const seen = newSeen();
      const readiness: number[] = [];
      let stop = false;
      const until = () => stop;
      const sessionsBefore = await doneSessions();
      // A client that fails ends the load for all (and its error is the test's), never unhandled.
      const failures: Error[] = [];
      const load = Promise.all(
        [
          passwordLoad(seen, until),
          totpLoad(
            seen,
            totpUsers.filter((_, index) => index % 2 === (mode === 'fast' ? 0 : 1)),
            until,
          ),
          ...backupUsers.map((user) => backupLoad(seen, user, until)),
        ].map((client) =>
          client.catch((error: unknown) => {
            failures.push(error instanceof Error ? error : new Error(String(error)));
            stop = true;
          }),
        ),
      );
      await sleep(LOAD_BEFORE_MS);
      const before = seen.sessions.length;
      let down = true;
      const watcher = (async () => {
        while (down) {
          readiness.push(await readyz());
          await sleep(100);
        }
      })();
      try {
        await postgres.restart(mode, { pauseMs: DOWN_MS });
      } finally {
        down = false;
        await watcher;
      }
      const back = Date.now();
      // The same process serves again: /readyz 200 within a bounded time, no restart.
      while ((await readyz()) !== 200) {
        if (Date.now() - back > RECOVERY_MS) {
          stop = true;
          await load;
          throw new Error(`/readyz not 200 within ${RECOVERY_MS} ms of PostgreSQL's start:\n${server.output()}`);
        }
        await sleep(100);
      }
      const afterReady = seen.sessions.length;
      const probe = await probeAfterRecovery(seen.sessions[0]!.client);
      await sleep(LOAD_AFTER_MS);
      stop = true;
      await load;
      if (failures[0]) throw failures[0];
      return { seen, readiness, before, afterReady, sessionsBefore, probe };
    }

    /**
     * Right after /readyz says 200: requests on a session from before the restart, one after the
     * other. A dead pooled connection may cost one 503 at most (the pool drops it), so there are
     * at most as many 503s as the pool has connections, then only 200s.
     */
    async function probeAfterRecovery(client: HttpClient): Promise<{ unavailable: number; statuses: number[] }> {
      const statuses: number[] = [];
      const deadline = Date.now() + PROBE_MS;
      let inARow = 0;
      while (inARow < PROBE_REQUESTS) {
        if (Date.now() > deadline) break;
        const { status } = await client.request('GET', '/api/v1/me');
        statuses.push(status);
        inARow = status === 200 ? inARow + 1 : 0;
      }
      return { unavailable: statuses.filter((status) => status === 503).length, statuses };
    }

    /** Full sessions in the database, by email. */
    async function doneSessions(): Promise<Map<string, number>> {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ email: string; n: number }>(
          `select u.email, count(*)::int as n from sessions s join users u on u.id = s.user_id where s.stage = 'done' group by u.email`,
        );
        return new Map(rows.map((row) => [row.email, row.n]));
      } finally {
        await client.end();
      }
    }

    async function checkNothingHalfWritten(seen: Seen, sessionsBefore: Map<string, number>) {
      // Every session a client got works: it was committed whole.
      for (const { client, email } of seen.sessions) {
        const me = await client.request('GET', '/api/v1/me');
        expect([me.status, me.json?.email]).toEqual([200, email]);
      }
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        // TOTP: no step accepted twice (the clients never sent one twice; the server must not have stored fewer).
        for (const [email, steps] of seen.totpAccepted) {
          expect(new Set(steps).size, email).toBe(steps.length);
          // The accepted step was stored (RFC 6238 §5.2): the same code again is refused.
          const { rows } = await client.query<{ step: number }>(
            'select t.last_used_step::int as step from totp_credentials t join users u on u.id = t.user_id where u.email = $1',
            [email],
          );
          expect(rows[0]!.step, email).toBeGreaterThanOrEqual(Math.max(...steps));
          const user = totpUsers.find((u) => u.email === email)!;
          const replay = new HttpClient(server.origin);
          expect((await replay.post('/api/v1/auth/login', { instance: slug, email, password: PASSWORD })).json.next).toBe('verify');
          const answer = await replay.post('/api/v1/auth/verify', { code: oathtool(user.secret, new Date(steps.at(-1)! * 30_000)) });
          expect([answer.status, answer.json?.error?.code]).toEqual([401, 'invalid_credentials']);
        }
        // Backup codes: each accepted code used once and replaced by exactly one mail; an unclear
        // answer at most once more. No code accepted twice.
        for (const user of backupUsers) {
          const accepted = seen.backupAccepted.get(user.email) ?? [];
          expect(new Set(accepted).size).toBe(accepted.length);
          const { rows } = await client.query<{ n: number }>(
            `select count(*)::int as n from audit_events a join users u on u.id = a.target_id or u.id = a.actor_id
             where u.email = $1 and a.action = 'backup_code.used'`,
            [user.email],
          );
          const mailed = await backupCodes(user.email, user.mails);
          expect(mailed.length - 1, user.email).toBe(rows[0]!.n);
          expect(rows[0]!.n).toBeGreaterThanOrEqual(accepted.length);
          expect(rows[0]!.n).toBeLessThanOrEqual(accepted.length + (seen.backupUnclear.get(user.email) ?? 0));
          // The codes seen accepted are refused now; the newest mailed one is the one that works.
          for (const code of accepted.slice(-1)) {
            const replay = new HttpClient(server.origin);
            expect((await replay.post('/api/v1/auth/login', { instance: slug, email: user.email, password: PASSWORD })).json.next).toBe(
              'verify',
            );
            const answer = await replay.post('/api/v1/auth/verify', { backupCode: code });
            expect([answer.status, answer.json?.error?.code]).toEqual([401, 'invalid_credentials']);
          }
        }
        // Full sessions in the database: every one a client saw, and at most one more per unclear answer.
        const sessionsAfter = await doneSessions();
        for (const email of [...passwordUsers, ...totpUsers.map((u) => u.email), ...backupUsers.map((u) => u.email)]) {
          const got = seen.sessions.filter((s) => s.email === email).length;
          const unclear =
            (seen.totpUnclear.get(email) ?? 0) + (seen.backupUnclear.get(email) ?? 0) + (seen.passwordUnclear.get(email) ?? 0);
          const made = (sessionsAfter.get(email) ?? 0) - (sessionsBefore.get(email) ?? 0);
          expect(made, email).toBeGreaterThanOrEqual(got);
          expect(made, email).toBeLessThanOrEqual(got + unclear);
        }
        // Mail: every outbox row sent, each delivered once (Message-ID <outbox-ID@host>).
        const deadline = Date.now() + MAIL_WAIT_MS;
        let pending = -1;
        while (pending !== 0 && Date.now() < deadline) {
          pending = (await client.query<{ n: number }>(`select count(*)::int as n from outbox where status <> 'sent'`)).rows[0]!.n;
          if (pending !== 0) await sleep(200);
        }
        expect(pending).toBe(0);
        const outbox = (await client.query<{ id: number }>('select id::int as id from outbox order by id')).rows.map((row) => row.id);
        const delivered = sink.received.map((mail) => Number(mail.messageId.match(/<outbox-(\d+)@/)?.[1]));
        expect([...delivered].sort((a, b) => a - b)).toEqual(outbox);
      } finally {
        await client.end();
      }
    }

    it.each(['fast', 'immediate'] as const)(
      'restarted with -m %s: 503 service_unavailable while away, nothing half-written, the same process serves again',
      async (mode) => {
        const backupBefore = [...backupAcceptedInFile.values()].flat().length;
        const { seen, readiness, before, afterReady, sessionsBefore, probe } = await restartUnderLoad(mode);
        expect(before, 'logins succeeded before the restart').toBeGreaterThan(0);
        expect(seen.sessions.length, 'logins succeeded after the restart').toBeGreaterThan(afterReady);
        // Every kind of login went through during the load.
        expect(seen.totpAccepted.size, 'TOTP logins').toBeGreaterThan(0);
        expect([...backupAcceptedInFile.values()].flat().length, 'backup-code logins').toBeGreaterThan(backupBefore);
        expect(seen.sessions.filter((s) => passwordUsers.includes(s.email)).length, 'password logins').toBeGreaterThan(0);
        // The same process, its pool without dead connections: a 503 at most per pooled connection, then only 200s.
        expect(probe.statuses.slice(-PROBE_REQUESTS), JSON.stringify(probe.statuses)).toEqual(Array(PROBE_REQUESTS).fill(200));
        expect(probe.unavailable).toBeLessThanOrEqual(POOL_SIZE);
        expect(probe.statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
        expect(seen.other).toEqual([]);
        expect(seen.dropped).toEqual([]);
        expect(seen.unavailable.length).toBeGreaterThan(0);
        for (const answer of seen.unavailable) {
          expect(answer.code).toBe('service_unavailable');
          expect(Number(answer.retryAfter)).toBeGreaterThan(0);
        }
        expect(readiness).toContain(503);
        // Each 503 is logged for the operator (docs/operations.md, "When PostgreSQL restarts").
        expect(server.stdout()).toContain('"msg":"database unavailable"');
        expect(readiness).not.toContain(0);
        await checkNothingHalfWritten(seen, sessionsBefore);
      },
    );
  },
);
