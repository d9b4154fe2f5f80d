/**
 * A real browser for flow tests: Debian's chromium, headless, driven by playwright-core.
 * Nothing is mocked: the page runs under the server's real CSP and cookies.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, onTestFinished } from 'vitest';
import { HttpClient } from './http-client.ts';
import { oathtool } from './oathtool.ts';
import { startServer, type ServerProcess } from './server-process.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The language browser tests speak unless one says otherwise: the UI follows the browser's
 * languages (issue 13), so the tests that read English words get English whatever the machine's.
 */
export const BROWSER_LOCALE = 'en-US';

/** `extraArgs`, e.g. `--host-resolver-rules=MAP *.test 127.0.0.1` for applications on their own host names behind a test proxy. */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      `--lang=${BROWSER_LOCALE}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** Collects the page's Content-Security-Policy violations, as reported on the console. */
export function watchCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return violations;
}

export interface AxeFinding {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** axe-core on the current page: the serious and critical violations only. */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeFinding[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
}

/** A screenshot under /tmp for a person to look at; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = `/tmp/keyward-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * An authenticator app for browser tests: oathtool codes. The server accepts a time step once per
 * user (RFC 6238 §5.2) with ±1 step of drift, so each code comes from a step newer than the last
 * one used: the current step, else the next one, else (both used) it waits for time to move on.
 */
export class Authenticator {
  private lastStep = -Infinity;
  readonly secret: string;

  constructor(secret: string) {
    this.secret = secret.replace(/\s+/g, '');
  }

  async nextCode(): Promise<string> {
    for (;;) {
      const current = currentStep();
      const step = Math.max(current, this.lastStep + 1);
      if (step <= current + 1) {
        this.lastStep = step;
        return oathtool(this.secret, new Date(step * TOTP_STEP_MS));
      }
      await new Promise((resolve) => setTimeout(resolve, (current + 1) * TOTP_STEP_MS - Date.now() + 100));
    }
  }

  /** Six digits that no step the server would accept now produces. */
  wrongCode(): string {
    const current = currentStep();
    const near = new Set([-2, -1, 0, 1, 2].map((offset) => oathtool(this.secret, new Date((current + offset) * TOTP_STEP_MS))));
    return ['000000', '111111', '222222', '333333', '444444', '555555'].find((code) => !near.has(code))!;
  }
}

const TOTP_STEP_MS = 30_000;

function currentStep(): number {
  return Math.floor(Date.now() / TOTP_STEP_MS);
}

export interface Person {
  email: string;
  name: string;
  password: string;
}

const PERSON_PASSWORD = 'a long and careful passphrase';
let instances = 0;
let operators = 0;

/**
 * Browser flows against one server with one instance: people added with the keyward CLI, fresh
 * browser contexts, and the steps of login and 2FA as a person performs them. Every test adds
 * its own people, so no two tests share an account or an authenticator.
 */
export class BrowserFlow {
  private people = 0;

  private constructor(
    private current: ServerProcess,
    readonly browser: Browser,
    readonly instance: { slug: string; name: string; plan: string },
    /** The database the server runs on: its own temp dir, or KEYWARD_DATA_DIR when the test chose one. */
    private readonly dataDir: string,
  ) {}

  get server(): ServerProcess {
    return this.current;
  }

  /** A server (with `env`), its first instance created through the API, and a browser. */
  static async start(
    instance: { slug: string; name: string; plan: string },
    admin: Person,
    env: Record<string, string> = {},
  ): Promise<BrowserFlow> {
    const server = await startServer(env);
    try {
      const token = new URL(server.setupLink ?? '').hash.replace('#token=', '');
      const created = await new HttpClient(server.origin).post('/api/v1/setup', { token, instance, admin });
      expect(created.status).toBe(200);
      return new BrowserFlow(server, await launchBrowser(), instance, env.KEYWARD_DATA_DIR ?? server.dataDir);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /**
   * Stops the server and starts another on the same database with `env` (another key, no SMTP):
   * what an operator's restart does. Needs a flow started with KEYWARD_DATA_DIR, which the test
   * removes; the new server listens on another port, so pages must be opened afresh.
   */
  async restart(env: Record<string, string>): Promise<void> {
    expect(env.KEYWARD_DATA_DIR, 'restart needs the data dir the flow started with').toBe(this.dataDir);
    await this.current.stop();
    this.current = await startServer(env);
  }

  async stop(): Promise<void> {
    await this.browser.close();
    await this.current.stop();
  }

  /**
   * A new user of the instance, added with the keyward CLI through the running server; `name`
   * instead of "Person N" when a test needs people told apart by name.
   */
  addPerson(role: 'member' | 'admin' = 'member', name?: string): Person {
    this.people += 1;
    const person = {
      email: `person${this.people}@${this.instance.slug}.test`,
      name: name ?? `Person ${this.people}`,
      password: PERSON_PASSWORD,
    };
    this.cli(['user', 'create', this.instance.slug, person.email, '--name', person.name, '--role', role], `${person.password}\n`);
    return person;
  }

  /**
   * A support operator of the vendor (`keyward operator create`, password on stdin): outside every
   * instance, so one per test is enough to keep authenticators apart.
   */
  addOperator(name?: string): Person {
    operators += 1;
    const operator = { email: `operator${operators}@vendor.test`, name: name ?? `Operator ${operators}`, password: PERSON_PASSWORD };
    this.cli(['operator', 'create', operator.email, '--name', operator.name], `${operator.password}\n`);
    return operator;
  }

  /** Many users at once without passwords (`keyward user import`): for lists longer than a page. */
  importPeople(count: number, prefix: string): void {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-import-')), 'people.csv');
    const rows = Array.from({ length: count }, (_, index) => {
      const n = String(index + 1).padStart(3, '0');
      return `${prefix}-${n}@${this.instance.slug}.test,${prefix} ${n},member`;
    });
    fs.writeFileSync(file, ['email,name,role', ...rows].join('\n'));
    try {
      this.cli(['user', 'import', this.instance.slug, file]);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }

  /**
   * Another instance on the same server and browser (`keyward instance create`), with its
   * administrator: a test that counts users gets a tenant of its own. The flow it returns shares
   * this one's server, so only this one is stopped (and restart() is not for it).
   */
  addInstance(plan: 'professional' | 'business' | 'enterprise'): { flow: BrowserFlow; admin: Person } {
    instances += 1;
    const slug = `${this.instance.slug}-${plan}-${instances}`;
    const instance = { slug, name: `${plan.charAt(0).toUpperCase()}${plan.slice(1)} ${instances}`, plan };
    const admin = { email: `admin@${slug}.test`, name: 'Ida Admin', password: PERSON_PASSWORD };
    this.cli(
      ['instance', 'create', slug, '--name', instance.name, '--plan', plan, '--admin-email', admin.email, '--admin-name', admin.name],
      `${admin.password}\n`,
    );
    return { flow: new BrowserFlow(this.current, this.browser, instance, this.dataDir), admin };
  }

  /** `keyward …` against this flow's data dir, which reaches the running server. */
  private cli(args: string[], input = ''): string {
    const { SMTP_URL: _smtp, DATABASE_URL: _database, ...env } = process.env;
    const result = spawnSync(process.execPath, ['bin/keyward.mjs', ...args], {
      env: { ...env, KEYWARD_DATA_DIR: this.dataDir, PUBLIC_URL: `${this.server.origin}/` },
      input,
      encoding: 'utf8',
    });
    expect(result.status, `keyward ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
    return result.stdout;
  }

  /** An API client logged in as `person` (password only: for people without an app). */
  async apiSession(person: Person): Promise<HttpClient> {
    const client = new HttpClient(this.server.origin);
    const login = await client.post('/api/v1/auth/login', { instance: this.instance.slug, email: person.email, password: person.password });
    expect(login.status, JSON.stringify(login.json)).toBe(200);
    return client;
  }

  /** Opens Settings from the avatar menu; the Users tab is the default. */
  /** A fresh browser in which `admin` has logged in (no code asked) and opened Settings. */
  async settingsAs(admin: Person): Promise<{ context: BrowserContext; page: Page; cspViolations: string[] }> {
    const opened = await this.freshPage();
    await this.logIn(opened.page, admin);
    await this.onProfile(opened.page);
    await this.openSettings(opened.page, admin);
    return opened;
  }

  async openSettings(page: Page, admin: Person): Promise<void> {
    await page.getByRole('button', { name: admin.name }).click();
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
  }

  /**
   * A new browser context (closed when the test ends); `forwardedFor` as a reverse proxy would add
   * it. English unless `locale` says otherwise: the UI speaks the browser's language (issue 13).
   */
  async freshPage(
    options: { forwardedFor?: string; locale?: string } = {},
  ): Promise<{ context: BrowserContext; page: Page; cspViolations: string[] }> {
    const context = await this.browser.newContext({
      locale: options.locale ?? BROWSER_LOCALE,
      ...(options.forwardedFor ? { extraHTTPHeaders: { 'x-forwarded-for': options.forwardedFor } } : {}),
    });
    onTestFinished(() => context.close());
    const page = await context.newPage();
    return { context, page, cspViolations: watchCspViolations(page) };
  }

  async logIn(page: Page, person: Person): Promise<void> {
    await page.goto(`${this.server.origin}/login?instance=${this.instance.slug}`);
    await page.getByLabel('Email').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
  }

  /** From the verification page: "I don't have my device", the checkbox, the code as typed, Verify. */
  async verifyWithBackupCode(page: Page, typed: string): Promise<void> {
    const useBackup = page.getByRole('checkbox', { name: 'Use a backup code instead' });
    if (!(await useBackup.isVisible())) await page.getByRole('button', { name: "I don't have my device" }).click();
    await useBackup.check();
    await page.getByLabel('Backup code', { exact: true }).fill(typed);
    await page.getByRole('button', { name: 'Verify' }).click();
  }

  /** What the dev mailbox holds now (GET /api/v1/dev/mailbox), newest first. */
  async mailbox(): Promise<MailboxMessage[]> {
    const answer = await new HttpClient(this.server.origin).request('GET', '/api/v1/dev/mailbox');
    expect(answer.status).toBe(200);
    return answer.json.messages;
  }

  /** The newest mail to `to` whose subject starts with `subject`, once `count` such mails have arrived. */
  async waitForMail(to: string, subject: string, count = 1): Promise<MailboxMessage> {
    const matching = async () => (await this.mailbox()).filter((mail) => mail.to === to && mail.subject.startsWith(subject));
    await expect
      .poll(async () => (await matching()).length, { timeout: 20_000, message: `${count} mail(s) "${subject}…" to ${to}` })
      .toBeGreaterThanOrEqual(count);
    return (await matching())[0]!;
  }

  async logOut(page: Page, person: Person): Promise<void> {
    await page.getByRole('button', { name: person.name }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
  }

  /** The session ends (idle or absolute timeout) while the browser keeps its trusted-device cookie. */
  async endSession(context: BrowserContext): Promise<void> {
    await context.clearCookies({ name: 'keyward_session' });
  }

  async onProfile(page: Page): Promise<void> {
    await page.waitForURL(`${this.server.origin}/profile`);
    await page.getByRole('heading', { name: 'My Profile' }).waitFor();
  }

  async onVerification(page: Page): Promise<void> {
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    const url = new URL(page.url());
    expect(url.pathname + url.search).toBe('/login?step=verify');
  }

  twoFactorSwitch(page: Page): Locator {
    return page.getByRole('switch', { name: 'Two-factor authentication' });
  }

  /** The status the switch is described by (aria-describedby), as a screen reader reads it. */
  async expectStatus(page: Page, text: string): Promise<void> {
    const described = async () => {
      const id = await this.twoFactorSwitch(page).getAttribute('aria-describedby');
      return page.locator(`[id="${id}"]`).textContent();
    };
    await expect.poll(described).toBe(text);
  }

  /** From My Profile with 2FA off: the switch, "Set up now", the password, the key read off the page, a code. */
  async setUpFromProfile(page: Page, password = PERSON_PASSWORD): Promise<Authenticator> {
    await this.twoFactorSwitch(page).click();
    await this.expectStatus(page, 'Enabled — no app set up yet');
    await page.getByRole('button', { name: 'Set up now' }).click();
    // Binding a first app from a full session needs the current password (issue 10 item 5).
    await page.getByLabel('Current password').fill(password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const authenticator = new Authenticator(await setupKeyFromPage(page));
    await page.getByLabel('Verification code').fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await this.onProfile(page);
    await this.expectStatus(page, 'Active — an authenticator app is set up');
    return authenticator;
  }

  /** Turns 2FA on and sets up an app through the API (for tests about what comes after setup). */
  async setUpThroughApi(person: Person): Promise<Authenticator> {
    const client = new HttpClient(this.server.origin);
    const login = await client.post('/api/v1/auth/login', { instance: this.instance.slug, email: person.email, password: person.password });
    expect(login.json).toEqual({ next: 'done' });
    expect((await client.request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);
    const authenticator = new Authenticator((await client.post('/api/v1/auth/setup', { currentPassword: person.password })).json.secret);
    const confirmed = await client.post('/api/v1/auth/setup/confirm', { code: await authenticator.nextCode() });
    expect(confirmed.json).toEqual({ next: 'done' });
    return authenticator;
  }
}

export interface MailboxMessage {
  to: string;
  subject: string;
  text: string;
  sentAt: string;
}

/** The code on the line `Backup code: XXXX-XXXX-XXXX-XXXX` that every mail carrying one has (SPEC rule 6). */
export function backupCodeIn(mail: { text: string }): string {
  const code = /^Backup code: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})$/m.exec(mail.text)?.[1];
  expect(code, mail.text).toBeDefined();
  return code!;
}

/** As a person reads it: the dev mailbox page, the newest mail to `to` with `subject`, its code line. */
export async function backupCodeFromMailboxPage(page: Page, origin: string, to: string, subject: string): Promise<string> {
  await page.goto(`${origin}/dev/mailbox`);
  const messages = page.getByRole('list', { name: 'Messages' });
  await messages.getByRole('button', { name: subject }).filter({ hasText: to }).first().click();
  const message = page.getByRole('article', { name: subject });
  expect(await message.getByText(to, { exact: true }).count()).toBe(1);
  return backupCodeIn({ text: await message.locator('pre').innerText() });
}

/** The setup key as the page shows it, next to "Or enter this key", without its spaces. */
export async function setupKeyFromPage(page: Page): Promise<string> {
  const text = await page.getByText('Or enter this key').locator('..').innerText();
  const grouped = /\b((?:[A-Z2-7]{4} )+[A-Z2-7]{1,4})\b/.exec(text)?.[1];
  expect(grouped, text).toBeDefined();
  return grouped!.replace(/ /g, '');
}

export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element.matches(':focus'));
}
