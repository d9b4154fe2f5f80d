import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { launchBrowser, screenshot, seriousAccessibilityViolations, watchCspViolations } from '../support/browser.ts';

const ADMIN = { email: 'ada@acme.test', name: 'Ada Admin', password: 'analytical engine 1843' };
const MEMBER = { email: 'bob@acme.test', name: 'Bob Member', password: 'difference engine 1822' };
const INSTANCE = { slug: 'acme', name: 'Acme Robotics', plan: 'business' };

/** The first instance, created through the API with the printed link (independent of the setup UI). */
async function createFirstInstance(server: ServerProcess): Promise<void> {
  const token = new URL(server.setupLink ?? '').hash.replace('#token=', '');
  const response = await fetch(`${server.origin}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.origin },
    body: JSON.stringify({ token, instance: INSTANCE, admin: ADMIN }),
  });
  expect(response.status).toBe(200);
}

/** A member, added with the keyward CLI, which hands the operation to the running server. */
function createMember(server: ServerProcess): void {
  const { SMTP_URL: _smtp, DATABASE_URL: _database, ...env } = process.env;
  const result = spawnSync(
    process.execPath,
    ['bin/keyward.mjs', 'user', 'create', INSTANCE.slug, MEMBER.email, '--name', MEMBER.name, '--role', 'member'],
    { env: { ...env, KEYWARD_DATA_DIR: server.dataDir, PUBLIC_URL: `${server.origin}/` }, input: `${MEMBER.password}\n`, encoding: 'utf8' },
  );
  expect(result.status, result.stderr).toBe(0);
}

describe('logging in and out in the browser', { timeout: 60_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer();
    await createFirstInstance(server);
    createMember(server);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function freshPage() {
    const context = await browser.newContext();
    onTestFinished(() => context.close());
    const page = await context.newPage();
    return { context, page, cspViolations: watchCspViolations(page) };
  }

  async function logIn(page: Page, password = ADMIN.password, email = ADMIN.email): Promise<void> {
    await page.goto(`${server.origin}/login?instance=${INSTANCE.slug}`);
    expect(await page.getByLabel('Instance').inputValue()).toBe(INSTANCE.slug);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  it('logs in on the login page, opens My Profile from the avatar menu, and logs out', async () => {
    const { context, page, cspViolations } = await freshPage();
    await logIn(page);

    const avatar = page.getByRole('button', { name: ADMIN.name });
    await avatar.waitFor();
    expect(new URL(page.url()).pathname).toBe('/profile');
    const cookie = (await context.cookies(server.origin)).find((c) => c.name === 'keyward_session');
    expect(cookie?.httpOnly).toBe(true);

    await avatar.click();
    await page.getByRole('menu').waitFor();
    expect(await avatar.getAttribute('aria-expanded')).toBe('true');
    await screenshot(page, 'login-menu');
    await page.getByRole('menuitem', { name: 'My Profile' }).click();
    const tab = page.getByRole('tab', { name: 'General Options' });
    await tab.waitFor();
    expect(await tab.getAttribute('aria-selected')).toBe('true');
    expect(await page.getByRole('tabpanel', { name: 'General Options' }).textContent()).toContain(ADMIN.email);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'login-profile');

    await avatar.click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.waitForURL(`${server.origin}/login`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();

    const me = await fetch(`${server.origin}/api/v1/me`, { headers: { cookie: `keyward_session=${cookie!.value}` } });
    expect(me.status).toBe(401);
    // A page that needs a session opens the login, which comes back to it afterwards (issue 13).
    await page.goto(`${server.origin}/profile`);
    await page.waitForURL(`${server.origin}/login?next=%2Fprofile`);
    expect(cspViolations).toEqual([]);
  });

  it('shows an alert and stays on the login page when the password is wrong', async () => {
    const { page, cspViolations } = await freshPage();
    await logIn(page, 'not the right password');

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('not correct');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    await screenshot(page, 'login-wrong-password');
    expect(cspViolations).toEqual([]);
  });

  it('opens the avatar menu with the keyboard and closes it with Escape, returning focus', async () => {
    const { page } = await freshPage();
    await logIn(page);
    const avatar = page.getByRole('button', { name: ADMIN.name });
    await avatar.waitFor();

    await avatar.focus();
    await page.keyboard.press('ArrowDown');
    const first = page.getByRole('menuitem', { name: 'My Profile' });
    await first.waitFor();
    expect(await isFocused(first)).toBe(true);
    await page.keyboard.press('ArrowUp');
    expect(await isFocused(page.getByRole('menuitem', { name: 'Log out' }))).toBe(true);

    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    expect(await isFocused(avatar)).toBe(true);
  });

  it('offers Settings to an administrator, with the Users tab', async () => {
    const { page } = await freshPage();
    await logIn(page);
    await page.getByRole('button', { name: ADMIN.name }).click();
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    await page.waitForURL(`${server.origin}/settings`);
    const tab = page.getByRole('tab', { name: 'Users' });
    await tab.waitFor();
    expect(await tab.getAttribute('aria-selected')).toBe('true');
    await screenshot(page, 'login-settings');
  });

  it('does not offer Settings to a member, and tells a member who opens it that it is for administrators', async () => {
    const { page } = await freshPage();
    await logIn(page, MEMBER.password, MEMBER.email);
    await page.getByRole('button', { name: MEMBER.name }).click();
    await page.getByRole('menu').waitFor();
    // No Settings; before Log out, the other language in its own words (issue 13).
    expect(await page.getByRole('menuitem').allTextContents()).toEqual(['My Profile', 'Deutsch', 'Log out']);

    await page.goto(`${server.origin}/settings`);
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getByRole('main').textContent()).toContain('Only administrators');
    expect(await page.getByRole('tab').count()).toBe(0);
  });

  it('lists mail newest first in the dev mailbox, shows it as plain text, and its link prefills the instance', async () => {
    await waitForMail(server, MEMBER.email);
    const { page, cspViolations } = await freshPage();
    await page.goto(`${server.origin}/dev/mailbox`);
    const subject = `Your ${INSTANCE.name} account`;
    const items = page.getByRole('list', { name: 'Messages' }).getByRole('button');
    await items.first().waitFor();
    expect(await items.allTextContents()).toEqual([expect.stringContaining(MEMBER.email), expect.stringContaining(ADMIN.email)]);

    await page.getByRole('button', { name: new RegExp(`^${subject} ${ADMIN.email}`) }).click();
    const text = (await page.locator('pre').textContent()) ?? '';
    expect(text).toContain(`Hello ${ADMIN.name},`);
    expect(text).toContain(`Log in: ${server.origin}/login?instance=${INSTANCE.slug}`);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'mailbox');

    await page.goto(`${server.origin}/login?instance=${INSTANCE.slug}`);
    expect(await page.getByLabel('Instance').inputValue()).toBe(INSTANCE.slug);
    expect(cspViolations).toEqual([]);
  });
});

function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element.matches(':focus'));
}

/** The outbox worker delivers in the background; wait until mail to `to` has arrived. */
async function waitForMail(server: ServerProcess, to: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { messages } = (await fetch(`${server.origin}/api/v1/dev/mailbox`).then((r) => r.json())) as { messages: Array<{ to: string }> };
    if (messages.some((message) => message.to === to)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`No mail to ${to} arrived in the dev mailbox within 15 s`);
}
