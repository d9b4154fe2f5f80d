/**
 * Issue 15's proof that keyward scales out: three keyward processes (`node dist/main.js`, as
 * production runs it) on one PostgreSQL behind the documented nginx load balancer
 * (examples/operations/nginx.conf, round robin), every client on a loopback address of its own.
 *
 * Phase A, all three up: mixed logins (password, password + TOTP, password + backup code), "forgot
 * password" mail, OpenID Connect code flows whose authorize, token and refresh requests are each
 * sent to a different process, and a 20-way race of one backup code. The login counters of the
 * three processes' /metrics add up to exactly what the clients saw.
 *
 * Phase B, the same mix while one process is killed with SIGKILL and another drained with
 * SIGTERM: the drained one's /readyz turns 503 and it exits 0; the last one carries on alone.
 *
 * Over both: every login a client carried through (retrying what the proxy lost, as a client
 * must) ended in a session; no backup code was accepted twice; every mail in the outbox was
 * sent and reached the SMTP server exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { LoadClient, type Answer } from '../support/load-client.ts';
import { nginxInstalled, startNginxBalancer, type Proxy } from '../support/proxies.ts';
import { freePort, startServer, type ServerProcess } from '../support/server-process.ts';
import { freshPostgresDatabase } from '../support/db.ts';
import { givenInstance, givenUser, PASSWORD, TEST_SECRET_KEY, testDeps, type TestDeps } from '../support/deps.ts';
import { givenOidcClient, type TestOidcClient } from '../support/oidc.ts';
import { oathtool } from '../support/oathtool.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { User } from '../../src/domain/account/user.ts';

// CI must run this: there, a missing nginx is a failure, not a skip (.ci/run installs it).
if (process.env.CI === 'true' && process.env.TEST_DATABASE_URL && !nginxInstalled()) {
  throw new Error('CI=true but nginx is missing: .ci/run installs the Debian package nginx');
}

const REDIRECT_URI = 'https://app.example.test/callback';
const BACKUP_CODE = /^Backup code: ([0-9A-Z-]{19})$/m;

/** Runs `tasks` with at most `limit` at once; every task runs, its failure recorded, not thrown. */
async function pool(limit: number, tasks: Array<() => Promise<void>>, failures: string[], onDone: () => void = () => {}): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failures.push(String((error as Error)?.stack ?? error));
      }
      onDone();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** One of each kind in turn, so every kind of login runs while the faults happen. */
function interleave<T>(...lists: T[][]): T[] {
  const longest = Math.max(...lists.map((list) => list.length));
  return Array.from({ length: longest }, (_, i) => lists.flatMap((list) => (i < list.length ? [list[i]!] : []))).flat();
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `keyward_login_steps_total` samples of a Prometheus text, by "step outcome factor". */
function loginSteps(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^keyward_login_steps_total\{(.*)\} (\d+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    counts.set(`${labels.step} ${labels.outcome} ${labels.factor}`, Number(match[2]));
  }
  return counts;
}

function difference(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of after) if (value - (before.get(key) ?? 0) > 0) delta[key] = value - (before.get(key) ?? 0);
  return delta;
}

function sum(maps: Array<Map<string, number>>): Map<string, number> {
  const total = new Map<string, number>();
  for (const map of maps) for (const [key, value] of map) total.set(key, (total.get(key) ?? 0) + value);
  return total;
}

describe.runIf(process.env.TEST_DATABASE_URL && nginxInstalled())(
  'three keyward processes behind nginx on one PostgreSQL',
  { timeout: 240_000 },
  () => {
    let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
    let handle: DatabaseHandle;
    let deps: TestDeps;
    let sink: SmtpSink;
    let nginx: Proxy;
    let servers: ServerProcess[] = [];
    let publicOrigin: string;
    let instance: Instance;
    let oidcClient: TestOidcClient;

    /** What the clients saw of each login step (final answers only), as the metrics label it. */
    const seen = new Map<string, number>();
    const failures: string[] = [];
    /** OpenID Connect flows started over after a token request's answer was lost (oidcFlow). */
    let lostOidcAnswers = 0;
    /** Every backup code a login was accepted with. */
    const acceptedBackupCodes: string[] = [];
    const clients: LoadClient[] = [];
    let addresses = 0;

    /** A new client on the next loopback address of its own (127.1.x.y). */
    function client(): LoadClient {
      const n = addresses++;
      const created = new LoadClient(publicOrigin, `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`);
      clients.push(created);
      return created;
    }

    function tally(route: 'password' | 'second_factor' | 'setup', factor: string, answer: Answer): void {
      const outcome = answer.status < 400 ? 'ok' : String(answer.json?.error?.code ?? `http_${answer.status}`);
      const key = `${route} ${outcome} ${factor}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }

    function expectStep(answer: Answer, next: string, what: string): void {
      if (answer.status !== 200 || answer.json?.next !== next)
        throw new Error(`${what}: expected next=${next}, got ${answer.status} ${answer.text.slice(0, 300)}`);
    }

    async function passwordStep(c: LoadClient, user: User, via?: string) {
      const answer = await c.send('POST', '/api/v1/auth/login', {
        body: { instance: instance.slug, email: user.email, password: PASSWORD },
        via,
      });
      tally('password', 'password', answer);
      return answer;
    }

    /** The newest backup code mailed to `email` among the mails after the first `skip` of theirs. */
    function mailedCodes(email: string): string[] {
      return sink.received.filter((m) => m.to.includes(email)).flatMap((m) => BACKUP_CODE.exec(m.text)?.[1] ?? []);
    }
    const nextMailedCode = (email: string, known: number) =>
      until(`backup code mail #${known + 1} to ${email}`, () => mailedCodes(email)[known], 40_000);

    /** The full session works: /me answers as the user, and logging out ends it. */
    async function useSession(c: LoadClient, user: User): Promise<void> {
      const me = await c.send('GET', '/api/v1/me');
      if (me.status !== 200 || me.json?.email !== user.email)
        throw new Error(`GET /me for ${user.email}: ${me.status} ${me.text.slice(0, 200)}`);
      const out = await c.send('POST', '/api/v1/auth/logout');
      if (out.status !== 204) throw new Error(`logout of ${user.email}: ${out.status}`);
    }

    /** Password only (2FA off). */
    async function passwordLogin(user: User): Promise<void> {
      const c = client();
      expectStep(await passwordStep(c, user), 'done', `password login of ${user.email}`);
      await useSession(c, user);
    }

    /**
     * Password, then a second factor: the app's code, or the newest mailed backup code. A verify
     * whose answer was lost may have been carried out (the code then spent, and with a backup
     * code a new one mailed): a correct client then signs in again with the newest mailed code.
     */
    async function twoFactorLogin(entry: Enrolled, factor: 'totp' | 'backup_code'): Promise<void> {
      let useBackup = factor === 'backup_code';
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const c = client();
        expectStep(await passwordStep(c, entry.user), 'verify', `password step of ${entry.user.email}`);
        const code = useBackup ? await nextMailedCode(entry.user.email, entry.codesUsed) : null;
        // The step after the last one the app's set-up used (±1 step of drift is accepted, RFC 6238 §5.2).
        const body = code ? { backupCode: code } : { code: oathtool(entry.secret, new Date(), 1) };
        const verified = await c.send('POST', '/api/v1/auth/verify', { body });
        tally('second_factor', code ? 'backup_code' : 'totp', verified);
        if (code && (verified.status === 200 || verified.lost)) entry.codesUsed += 1;
        if (verified.status === 200 && verified.json?.next === 'done') {
          if (code) acceptedBackupCodes.push(code);
          await useSession(c, entry.user);
          return;
        }
        if (!verified.lost) throw new Error(`verify of ${entry.user.email} (${factor}): ${verified.status} ${verified.text.slice(0, 200)}`);
        useBackup = true;
      }
      throw new Error(`two-factor login of ${entry.user.email}: still refused after its lost answers`);
    }

    /** "Forgot password": answered 204 whatever the account; the mail goes out from the outbox. */
    async function forgot(user: User): Promise<void> {
      const answer = await client().send('POST', '/api/v1/auth/forgot', { body: { instance: instance.slug, email: user.email } });
      if (answer.status !== 204) throw new Error(`forgot for ${user.email}: ${answer.status} ${answer.text.slice(0, 200)}`);
    }

    /**
     * The authorization-code flow of a relying party (openid-client) with PKCE, then a refresh:
     * the browser's requests (authorize, the login, the resumed interaction) go to `browserVia`,
     * the token request to `tokenVia`, the refresh to `refreshVia` (each a process's own address),
     * or all through nginx when not given.
     */
    async function oidcFlow(user: User, pins: { browserVia?: string; tokenVia?: string; refreshVia?: string } = {}): Promise<void> {
      // A token request whose answer was lost (its process killed after it spent the code or the
      // refresh token) cannot be sent again: the code is used once (RFC 6749 §4.1.2), and a
      // rotated refresh token sent twice is refused. A relying party then starts the login over,
      // as a user would after an error page; so does this one, once.
      for (let round = 1; ; round += 1) {
        const lost = { answer: false };
        try {
          return await oidcFlowOnce(user, pins, lost);
        } catch (error) {
          if (!lost.answer || round === 2) throw error;
          lostOidcAnswers += 1;
        }
      }
    }

    async function oidcFlowOnce(
      user: User,
      pins: { browserVia?: string; tokenVia?: string; refreshVia?: string },
      lost: { answer: boolean },
    ): Promise<void> {
      let pin: string | undefined;
      const config = await oidc.discovery(
        new URL(`${publicOrigin}/i/${instance.slug}`),
        oidcClient.client_id,
        undefined,
        oidc.ClientSecretBasic(oidcClient.client_secret!),
        { execute: [oidc.allowInsecureRequests] },
      );
      config[oidc.customFetch] = async (url, options) => {
        const target = new URL(url);
        if (pin) target.host = new URL(pin).host;
        // As the client for the browser: a lost answer to a GET is tried again. A POST (the token
        // endpoint's grants) is not: nginx answers 502 only for a request it had passed to a
        // process (it tries the next one itself when the connection is refused), which may have
        // spent the code or the refresh token; the flow starts over instead (oidcFlow).
        const spends = (options.method ?? 'GET').toUpperCase() === 'POST';
        for (let attempt = 1; ; attempt += 1) {
          try {
            const response = await fetch(target, options);
            if (response.status === 502 && spends) lost.answer = true;
            if (response.status !== 502 || spends || attempt === 5) return response;
          } catch (error) {
            if (spends) lost.answer = true;
            if (spends || attempt === 5) throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const authorize = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid offline_access email',
        prompt: 'consent',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const browser = client();
      let url = authorize.href;
      let callback: URL | null = null;
      for (let hops = 0; hops < 12 && !callback; hops += 1) {
        const answer = await browser.send('GET', url, { via: pins.browserVia });
        const location = answer.headers.location;
        if (answer.status < 300 || answer.status >= 400 || !location)
          throw new Error(`authorize of ${user.email}: ${answer.status} at ${url}`);
        const next = new URL(location, url);
        if (next.href.startsWith(REDIRECT_URI)) callback = next;
        else if (next.pathname === `/i/${instance.slug}/login`) {
          expectStep(await passwordStep(browser, user, pins.browserVia), 'done', `login of ${user.email} in the interaction`);
          url = `${publicOrigin}/i/${instance.slug}/interaction/${next.searchParams.get('interaction')}`;
        } else url = next.href;
      }
      if (!callback) throw new Error(`authorize of ${user.email}: no callback`);
      pin = pins.tokenVia;
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
      if (tokens.claims()?.sub !== user.id) throw new Error(`ID token of ${user.email}: sub ${tokens.claims()?.sub}`);
      pin = pins.refreshVia;
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      if (!refreshed.access_token || refreshed.refresh_token === tokens.refresh_token)
        throw new Error(`refresh of ${user.email}: not rotated`);
      pin = undefined;
      const info = await oidc.fetchUserInfo(config, refreshed.access_token, user.id);
      if (info.email !== user.email) throw new Error(`userinfo of ${user.email}: ${JSON.stringify(info)}`);
    }

    interface Enrolled {
      user: User;
      secret: string;
      /** How many of the backup codes mailed to the user were used (or may have been). */
      codesUsed: number;
    }

    /** 2FA on and an app set up through the API, as the SPA does; the backup code arrives by mail. */
    async function enrol(user: User): Promise<Enrolled> {
      const c = client();
      expectStep(
        await c.post('/api/v1/auth/login', { instance: instance.slug, email: user.email, password: PASSWORD }),
        'done',
        `first login of ${user.email}`,
      );
      const enabled = await c.send('PUT', '/api/v1/me/two-factor', { body: { enabled: true } });
      if (enabled.status !== 200) throw new Error(`enable 2FA for ${user.email}: ${enabled.status} ${enabled.text}`);
      const setup = await c.post('/api/v1/auth/setup', { currentPassword: PASSWORD });
      const secret = setup.json?.secret as string;
      if (!secret) throw new Error(`setup of ${user.email}: ${setup.status} ${setup.text}`);
      expectStep(await c.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, new Date()) }), 'done', `confirm of ${user.email}`);
      return { user, secret, codesUsed: 0 };
    }

    const groups: {
      password: User[];
      totp: Enrolled[];
      backup: Enrolled[];
      race: Enrolled | null;
      oidc: User[];
      forgot: User[];
    } = { password: [], totp: [], backup: [], race: null, oidc: [], forgot: [] };

    beforeAll(async () => {
      database = await freshPostgresDatabase();
      handle = await openDatabase({ kind: 'postgres', url: database.url, poolSize: 3 });
      await migrateToLatest(handle.db);
      deps = await testDeps(handle);
      sink = new SmtpSink();
      await sink.start();
      const nginxPort = await freePort();
      publicOrigin = `http://127.0.0.1:${nginxPort}`;
      const env = {
        DATABASE_URL: database.url,
        KEYWARD_SECRET_KEY: TEST_SECRET_KEY,
        PUBLIC_URL: `${publicOrigin}/`,
        SMTP_URL: sink.url,
        // nginx connects from 127.0.0.1: its X-Forwarded-For is believed, nobody else's.
        TRUST_PROXY: '127.0.0.1',
        KEYWARD_DRAIN_SECONDS: '2',
        // A mail claimed by the process that is killed is sent by another after this lease.
        KEYWARD_MAIL_LEASE_SECONDS: '8',
        // Three processes on two cores: one hash at a time each.
        KEYWARD_HASH_CONCURRENCY: '1',
      };
      // Started together, as an orchestrator would: the migrations and the key check settle once.
      servers = await Promise.all([startServer(env), startServer(env), startServer(env)]);
      nginx = await startNginxBalancer([servers[0]!.port, servers[1]!.port, servers[2]!.port], nginxPort);

      ({ instance } = await givenInstance(deps));
      oidcClient = await givenOidcClient(deps, instance, { name: 'Load app', redirectUris: [REDIRECT_URI] });
      const users = async (count: number) => {
        const made: User[] = [];
        for (let i = 0; i < count; i += 1) made.push(await givenUser(deps, instance));
        return made;
      };
      groups.password = await users(4);
      groups.oidc = await users(6);
      groups.forgot = await users(6);
      const enrolled: Enrolled[] = [];
      const failed: string[] = [];
      const toEnrol = await users(16 + 6 + 1);
      await pool(
        4,
        toEnrol.map((user) => async () => void enrolled.push(await enrol(user))),
        failed,
      );
      expect(failed).toEqual([]);
      groups.totp = enrolled.slice(0, 16);
      groups.backup = enrolled.slice(16, 22);
      groups.race = enrolled[22]!;
    }, 180_000);

    afterAll(async () => {
      for (const c of clients) c.close();
      await nginx?.stop();
      await Promise.all(servers.map((server) => server.stop()));
      await sink?.stop();
      await handle?.close();
      await database?.drop();
    });

    const metricsOf = async (server: ServerProcess) => (await fetch(`${server.origin}/metrics`)).text();
    const scrape = async (server: ServerProcess) => loginSteps(await metricsOf(server));
    const hashing = (text: string) => /^keyward_password_hash_running [1-9]/m.test(text);

    it('phase A, all three up: mixed logins, OIDC across processes and a 20-way backup-code race; the metrics add up', async () => {
      // Each says where it listens, and for which public address.
      for (const server of servers)
        expect(server.stderr()).toContain(`keyward is listening on http://127.0.0.1:${server.port} for ${publicOrigin} `);
      const before = await Promise.all(servers.map(scrape));
      seen.clear();
      const origins = servers.map((server) => server.origin);
      const tasks = interleave(
        Array.from({ length: 12 }, (_, i) => () => passwordLogin(groups.password[i % groups.password.length]!)),
        groups.totp.slice(0, 8).map((entry) => () => twoFactorLogin(entry, 'totp')),
        groups.backup.slice(0, 3).map((entry) => () => twoFactorLogin(entry, 'backup_code')),
        groups.forgot.slice(0, 3).map((user) => () => forgot(user)),
        // Authorize (and the login in it) on one process, the token on the next, the refresh on the third.
        groups.oidc
          .slice(0, 3)
          .map(
            (user, i) => () =>
              oidcFlow(user, { browserVia: origins[i % 3], tokenVia: origins[(i + 1) % 3], refreshVia: origins[(i + 2) % 3] }),
          ),
      );

      const race = async () => {
        const entry = groups.race!;
        const code = await nextMailedCode(entry.user.email, 0);
        const racers = Array.from({ length: 20 }, () => client());
        for (const racer of racers) expectStep(await passwordStep(racer, entry.user), 'verify', 'racer password step');
        // All twenty at once, spread over the three processes by nginx.
        const answers = await Promise.all(racers.map((racer) => racer.once('POST', '/api/v1/auth/verify', { body: { backupCode: code } })));
        for (const answer of answers) tally('second_factor', 'backup_code', answer);
        const winners = answers.filter((answer) => answer.status === 200);
        expect(winners.map((answer) => answer.json)).toEqual([{ next: 'done' }]);
        for (const answer of answers.filter((a) => a.status !== 200)) expect([401, 423, 429], answer.text).toContain(answer.status);
        acceptedBackupCodes.push(code);
        entry.codesUsed = 1;
        // The winner was mailed a new code, once.
        expect(await nextMailedCode(entry.user.email, 1)).toMatch(/^[0-9A-Z-]{19}$/);
      };

      await Promise.all([pool(5, tasks, failures), race().catch((error: Error) => void failures.push(`race: ${error.stack}`))]);
      expect(failures).toEqual([]);
      expect(
        clients.reduce((total, c) => total + c.retries, 0),
        'with every process up, no answer is lost',
      ).toBe(0);

      // Each process counted what it answered; the three together, exactly what the clients saw.
      const after = await Promise.all(servers.map(scrape));
      expect(difference(sum(after), sum(before))).toEqual(Object.fromEntries(seen));
      // Round robin spread the logins: every process answered some.
      for (let i = 0; i < 3; i += 1) expect(Object.keys(difference(after[i]!, before[i]!)).length, `process ${i + 1}`).toBeGreaterThan(0);
    });

    it('phase B: one process killed with SIGKILL and one drained with SIGTERM mid-load; every login a client carried through succeeds', async () => {
      const [killed, drained, survivor] = servers as [ServerProcess, ServerProcess, ServerProcess];
      let done = 0;
      const readiness: number[] = [];
      const tasks = interleave(
        Array.from({ length: 16 }, (_, i) => () => passwordLogin(groups.password[i % groups.password.length]!)),
        groups.totp.slice(8).map((entry) => () => twoFactorLogin(entry, 'totp')),
        groups.backup.slice(3).map((entry) => () => twoFactorLogin(entry, 'backup_code')),
        groups.forgot.slice(3).map((user) => () => forgot(user)),
        groups.oidc.slice(3).map((user) => () => oidcFlow(user)),
      );

      const faults = (async () => {
        await until('the first logins of phase B', () => (done >= 3 ? true : undefined), 60_000);
        // Killed in the middle of a login: while it computes a password hash, so a client's
        // request is lost with it (nginx answers that client 502).
        await until(
          'a password hash running on the first process',
          async () => (hashing(await metricsOf(killed)) ? true : undefined),
          30_000,
        );
        process.kill(killed.pid, 'SIGKILL');
        expect(await killed.exited).toBeNull();
        await until('more logins after the kill', () => (done >= 10 ? true : undefined), 60_000);
        process.kill(drained.pid, 'SIGTERM');
        // During the drain the process still answers, and says it is not ready.
        await until(
          'readiness 503 during the drain',
          async () => {
            const answer = await fetch(`${drained.origin}/readyz`).catch(() => null);
            if (answer) readiness.push(answer.status);
            return answer?.status === 503 ? true : undefined;
          },
          5_000,
        );
        expect(await drained.exited).toBe(0);
      })();

      await Promise.all([pool(4, tasks, failures, () => (done += 1)), faults]);
      await faults;
      // After both: the survivor alone serves every kind of login.
      await pool(
        2,
        [
          () => passwordLogin(groups.password[0]!),
          () => twoFactorLogin(groups.backup[0]!, 'backup_code'),
          () => oidcFlow(groups.oidc[0]!),
          () => passwordLogin(groups.password[1]!),
        ],
        failures,
      );
      expect(failures).toEqual([]);
      // The kill was felt: some client lost an answer and tried again (a request, or a relying party its whole flow).
      expect(clients.reduce((total, c) => total + c.retries, 0) + lostOidcAnswers).toBeGreaterThan(0);
      expect(readiness).toContain(503);
      expect((await fetch(`${survivor.origin}/readyz`)).status).toBe(200);

      // No backup code was accepted twice, anywhere.
      expect(new Set(acceptedBackupCodes).size).toBe(acceptedBackupCodes.length);
    });

    it('every mail in the outbox was sent, and reached the SMTP server once (twice only if claimed again after a kill)', async () => {
      // What the killed process had claimed waits for its lease (8 s), then the survivor sends it.
      const rows = await until(
        'the outbox emptied',
        async () => {
          const all = await handle.db.selectFrom('outbox').select(['id', 'status', 'recipient', 'attempts']).execute();
          return all.every((row) => row.status === 'sent') ? all : undefined;
        },
        60_000,
      );
      const received = sink.received.map((mail) => /<outbox-(\d+)@/.exec(mail.messageId)?.[1]);
      const counts = new Map<string, number>();
      for (const id of received) counts.set(String(id), (counts.get(String(id)) ?? 0) + 1);
      // At least once, not exactly once (docs/operations.md): a mail the killed process had handed
      // to the SMTP server just before it died, and not yet recorded as sent, is sent again by the
      // process that claims it after the lease. Only such a mail (claimed again: attempts 2 or more) may
      // arrive twice; a second copy of a mail claimed once would be a real double send.
      const attempts = new Map(rows.map((row) => [String(row.id), row.attempts]));
      expect([...counts].filter(([id, count]) => count !== 1 && !(count === 2 && (attempts.get(id) ?? 0) >= 2))).toEqual([]);
      expect([...counts.keys()].sort()).toEqual(rows.map((row) => String(row.id)).sort());
      // The "forgot password" requests: one reset mail each.
      for (const user of groups.forgot)
        expect(
          sink.received.filter((mail) => mail.to.includes(user.email) && mail.subject.startsWith('Reset your')),
          user.email,
        ).toHaveLength(1);
    });
  },
);
