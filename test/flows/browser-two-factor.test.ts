import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { HttpClient } from '../support/http-client.ts';
import { Authenticator, launchBrowser, screenshot, seriousAccessibilityViolations, watchCspViolations } from '../support/browser.ts';

const INSTANCE = { slug: 'acme', name: 'Acme Robotics', plan: 'business' };
const ADMIN = { email: 'ada@acme.test', name: 'Ada Admin', password: 'analytical engine 1843' };
const PASSWORD = 'a long and careful passphrase';

interface Person {
  email: string;
  name: string;
  password: string;
}

// One server for the file. Every test adds its own people (time steps are used once per user, so
// no two tests share an authenticator). The server believes X-Forwarded-For from 127.0.0.1 so a
// browser context can appear to come from another network, as it would behind a reverse proxy.
describe('two-factor authentication in the browser', { timeout: 90_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let people = 0;
  beforeAll(async () => {
    server = await startServer({ TRUST_PROXY: '127.0.0.1' });
    const token = new URL(server.setupLink ?? '').hash.replace('#token=', '');
    const client = new HttpClient(server.origin);
    expect((await client.post('/api/v1/setup', { token, instance: INSTANCE, admin: ADMIN })).status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A new user of the instance, added with the keyward CLI through the running server. */
  function newPerson(role: 'member' | 'admin' = 'member'): Person {
    people += 1;
    const person = { email: `person${people}@acme.test`, name: `Person ${people}`, password: PASSWORD };
    const { SMTP_URL: _smtp, DATABASE_URL: _database, ...env } = process.env;
    const result = spawnSync(
      'node_modules/.bin/tsx',
      ['src/cli/main.ts', 'user', 'create', INSTANCE.slug, person.email, '--name', person.name, '--role', role],
      { env: { ...env, KEYWARD_DATA_DIR: server.dataDir, PUBLIC_URL: `${server.origin}/` }, input: `${PASSWORD}\n`, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(0);
    return person;
  }

  async function freshPage(options: { forwardedFor?: string } = {}): Promise<{ context: BrowserContext; page: Page; cspViolations: string[] }> {
    const context = await browser.newContext(options.forwardedFor ? { extraHTTPHeaders: { 'x-forwarded-for': options.forwardedFor } } : {});
    onTestFinished(() => context.close());
    const page = await context.newPage();
    return { context, page, cspViolations: watchCspViolations(page) };
  }

  async function logIn(page: Page, person: Person): Promise<void> {
    await page.goto(`${server.origin}/login?instance=${INSTANCE.slug}`);
    await page.getByLabel('Email').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  async function logOut(page: Page, person: Person): Promise<void> {
    await page.getByRole('button', { name: person.name }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
  }

  async function onProfile(page: Page): Promise<void> {
    await page.waitForURL(`${server.origin}/profile`);
    await page.getByRole('heading', { name: 'My Profile' }).waitFor();
  }

  async function onVerification(page: Page): Promise<void> {
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/login?step=verify');
  }

  const twoFactorSwitch = (page: Page) => page.getByRole('switch', { name: 'Two-factor authentication' });

  /** The status the switch is described by (aria-describedby), as a screen reader reads it. */
  async function expectStatus(page: Page, text: string): Promise<void> {
    const described = async () => {
      const id = await twoFactorSwitch(page).getAttribute('aria-describedby');
      return page.locator(`[id="${id}"]`).textContent();
    };
    await expect.poll(described).toBe(text);
  }

  /** From My Profile with 2FA off: the switch, "Set up now", the key read off the page, a code. */
  async function setUpFromProfile(page: Page): Promise<Authenticator> {
    await twoFactorSwitch(page).click();
    await expectStatus(page, 'Enabled — no app set up yet');
    await page.getByRole('button', { name: 'Set up now' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const authenticator = new Authenticator(await keyFromPage(page));
    await page.getByLabel('Verification code').fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await onProfile(page);
    await expectStatus(page, 'Active — an authenticator app is set up');
    return authenticator;
  }

  /** Sets up an app through the API (for tests about what comes after setup). */
  async function setUpThroughApi(person: Person): Promise<Authenticator> {
    const client = new HttpClient(server.origin);
    expect((await client.post('/api/v1/auth/login', { instance: INSTANCE.slug, email: person.email, password: person.password })).json).toEqual({ next: 'done' });
    expect((await client.request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);
    const setup = await client.post('/api/v1/auth/setup');
    const authenticator = new Authenticator(setup.json.secret);
    expect((await client.post('/api/v1/auth/setup/confirm', { code: await authenticator.nextCode() })).json).toEqual({ next: 'done' });
    return authenticator;
  }

  it('sets up an app from My Profile, asks a new browser for a code, then trusts that browser until its location is revoked', async () => {
    const person = newPerson();
    const first = await freshPage();
    await logIn(first.page, person);
    await onProfile(first.page);
    expect(await twoFactorSwitch(first.page).getAttribute('aria-checked')).toBe('false');
    await expectStatus(first.page, 'Off');

    await twoFactorSwitch(first.page).click();
    await expectStatus(first.page, 'Enabled — no app set up yet');
    expect(await twoFactorSwitch(first.page).getAttribute('aria-checked')).toBe('true');
    expect(await first.page.getByRole('tabpanel').textContent()).toContain('Your next login will ask you to set up an authenticator app');
    expect(await seriousAccessibilityViolations(first.page)).toEqual([]);
    await screenshot(first.page, '2fa-profile-pending');

    await first.page.getByRole('button', { name: 'Set up now' }).click();
    await first.page.waitForURL(`${server.origin}/profile/two-factor`);
    const qr = first.page.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await qr.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    const authenticator = new Authenticator(await keyFromPage(first.page));
    await expectCodeField(first.page.getByLabel('Verification code'));
    expect(await seriousAccessibilityViolations(first.page)).toEqual([]);
    await screenshot(first.page, '2fa-setup');

    await first.page.getByLabel('Verification code').fill(await authenticator.nextCode());
    await first.page.getByRole('button', { name: 'Verify' }).click();
    await onProfile(first.page);
    await expectStatus(first.page, 'Active — an authenticator app is set up');
    await first.page.getByRole('status').filter({ hasText: 'Two-factor authentication is active' }).waitFor();
    expect(await seriousAccessibilityViolations(first.page)).toEqual([]);
    await screenshot(first.page, '2fa-profile-active');
    expect(first.cspViolations).toEqual([]);

    // Another browser is a new location: password, then a code.
    const second = await freshPage();
    await logIn(second.page, person);
    await onVerification(second.page);
    const code = second.page.getByLabel('Verification code');
    await expectCodeField(code);
    expect(await isFocused(code)).toBe(true);
    expect(await seriousAccessibilityViolations(second.page)).toEqual([]);
    await screenshot(second.page, '2fa-verify');

    await code.fill(authenticator.wrongCode());
    await second.page.getByRole('button', { name: 'Verify' }).click();
    const alert = second.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('not valid');
    expect(await code.inputValue()).toBe('');
    await screenshot(second.page, '2fa-verify-wrong');
    await code.fill(await authenticator.nextCode());
    await second.page.getByRole('button', { name: 'Verify' }).click();
    await onProfile(second.page);

    // Now a known location: the next login asks for the password only.
    await logOut(second.page, person);
    await logIn(second.page, person);
    await onProfile(second.page);
    await second.page.getByRole('tab', { name: 'Known locations' }).click();
    const table = second.page.getByRole('table');
    await table.waitFor();
    const thisBrowser = table.getByRole('row').filter({ hasText: 'This browser' });
    expect(await thisBrowser.count()).toBe(1);
    expect(await thisBrowser.textContent()).toContain('127.0.0.0/24');
    expect(await table.getByRole('row').count()).toBe(3); // the header, this browser and the first one
    expect(await seriousAccessibilityViolations(second.page)).toEqual([]);
    await screenshot(second.page, '2fa-known-locations');

    await thisBrowser.getByRole('button', { name: /^Revoke Chrome on Linux \(this browser\)$/ }).click();
    await second.page.getByRole('status').filter({ hasText: 'will ask for a code at its next login' }).waitFor();
    expect(await table.getByRole('row').filter({ hasText: 'This browser' }).count()).toBe(0);
    await logOut(second.page, person);
    await logIn(second.page, person);
    await onVerification(second.page);
    expect(second.cspViolations).toEqual([]);
  });

  it('turns 2FA off only with a current code, in a dialog that Escape closes', async () => {
    const person = newPerson();
    const { page, cspViolations } = await freshPage();
    await logIn(page, person);
    await onProfile(page);
    const authenticator = await setUpFromProfile(page);

    await twoFactorSwitch(page).click();
    const dialog = page.getByRole('dialog', { name: 'Turn off two-factor authentication?' });
    await dialog.waitFor();
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    expect(await isFocused(dialog.getByLabel('Verification code'))).toBe(true);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, '2fa-turn-off-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await twoFactorSwitch(page).getAttribute('aria-checked')).toBe('true');
    expect(await isFocused(twoFactorSwitch(page))).toBe(true);

    await twoFactorSwitch(page).click();
    await dialog.getByLabel('Verification code').fill(authenticator.wrongCode());
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toContain('not valid');
    await screenshot(page, '2fa-turn-off-wrong');
    await dialog.getByLabel('Verification code').fill(await authenticator.nextCode());
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expectStatus(page, 'Off');
    expect(await twoFactorSwitch(page).getAttribute('aria-checked')).toBe('false');
    expect(cspViolations).toEqual([]);
  });

  it('turns 2FA on and off again without a code while no app is set up', async () => {
    const person = newPerson();
    const { page } = await freshPage();
    await logIn(page, person);
    await onProfile(page);
    await twoFactorSwitch(page).click();
    await expectStatus(page, 'Enabled — no app set up yet');
    await twoFactorSwitch(page).click();
    await expectStatus(page, 'Off');
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('asks for setup at login, and lets the person postpone it', async () => {
    const person = newPerson();
    const client = new HttpClient(server.origin);
    await client.post('/api/v1/auth/login', { instance: INSTANCE.slug, email: person.email, password: person.password });
    expect((await client.request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);

    const { page, cspViolations } = await freshPage();
    await logIn(page, person);
    await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    expect(await keyFromPage(page)).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, '2fa-setup-at-login');
    await page.getByRole('button', { name: 'Postpone' }).click();
    await onProfile(page);
    await expectStatus(page, 'Enabled — no app set up yet');
    expect(cspViolations).toEqual([]);
  });

  it('asks an administrator whose session skipped the code for one before saving security settings', async () => {
    const admin = newPerson('admin');
    const { page, cspViolations } = await freshPage();
    await logIn(page, admin);
    await onProfile(page);
    const authenticator = await setUpFromProfile(page);
    await logOut(page, admin);
    await logIn(page, admin);
    await onProfile(page); // a known location: no code asked, so no fresh second factor either

    await page.getByRole('button', { name: admin.name }).click();
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Security' }).click();
    const days = page.getByLabel('Trust known locations for (days)');
    expect(await days.inputValue()).toBe('30');
    expect(await page.getByLabel('Ask for a code again when the network changes').isChecked()).toBe(true);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await days.fill('14');
    await page.getByRole('button', { name: 'Save' }).click();

    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    await screenshot(page, '2fa-step-up');
    await dialog.getByLabel('Verification code').fill(await authenticator.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'The security settings were saved.' }).waitFor();
    await screenshot(page, '2fa-settings-saved');

    // Fresh for ten minutes: the next save asks nothing.
    await days.fill('31');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Enter a whole number of days from 0 to 30.').waitFor();
    await days.fill('14');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'The security settings were saved.' }).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);

    await page.reload();
    await page.getByRole('tab', { name: 'Security' }).click();
    expect(await page.getByLabel('Trust known locations for (days)').inputValue()).toBe('14');
    expect(cspViolations).toEqual([]);
  });

  it('asks for a code before replacing the app from a session that skipped the code', async () => {
    const person = newPerson();
    const { page } = await freshPage();
    await logIn(page, person);
    await onProfile(page);
    const old = await setUpFromProfile(page);
    await logOut(page, person);
    await logIn(page, person);
    await onProfile(page);

    await page.getByRole('button', { name: 'Replace authenticator app' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Verification code').fill(await old.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const replacement = new Authenticator(await keyFromPage(page));
    expect(replacement.secret).not.toBe(old.secret);
    await page.getByLabel('Verification code').fill(await replacement.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await onProfile(page);
    await expectStatus(page, 'Active — an authenticator app is set up');
  });

  it('switches the code field to a backup code behind "I don\'t have my device"', async () => {
    const person = newPerson();
    await setUpThroughApi(person);
    const { page, cspViolations } = await freshPage();
    await logIn(page, person);
    await onVerification(page);

    const help = page.getByRole('button', { name: "I don't have my device" });
    expect(await help.getAttribute('aria-expanded')).toBe('false');
    await help.click();
    expect(await help.getAttribute('aria-expanded')).toBe('true');
    const useBackup = page.getByRole('checkbox', { name: 'Use a backup code instead' });
    await useBackup.check();
    const backup = page.getByLabel('Backup code');
    await backup.waitFor();
    expect(await page.getByLabel('Verification code').count()).toBe(0);
    expect(await backup.getAttribute('inputmode')).toBeNull();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, '2fa-verify-backup');

    // Whatever the server says about this made-up backup code, the page says it and stays.
    await backup.fill('not-a-real-backup-code');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').waitFor();
    expect((await page.getByRole('alert').textContent())?.length).toBeGreaterThan(0);
    await onVerification(page);

    await useBackup.uncheck();
    await page.getByLabel('Verification code').waitFor();
    expect(cspViolations).toEqual([]);
  });

  it('sends the person back to the login page when the pending login has ended', async () => {
    const person = newPerson();
    const authenticator = await setUpThroughApi(person);
    const { context, page } = await freshPage();
    await logIn(page, person);
    await onVerification(page);
    await context.clearCookies({ name: 'keyward_session' });

    await page.getByLabel('Verification code').fill(authenticator.wrongCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByRole('status').textContent()).toContain('Your login has expired');
  });

  it('says how long to wait when the password is locked after failed attempts', async () => {
    const person = newPerson();
    const client = new HttpClient(server.origin);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const wrong = await client.post('/api/v1/auth/login', { instance: INSTANCE.slug, email: person.email, password: 'not the password' });
      expect(wrong.status).toBe(401);
    }
    const { page } = await freshPage();
    await logIn(page, person);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Try again in 1 minute\.$/);
    await screenshot(page, '2fa-login-locked');
  });

  it('asks a trusted browser for a code again when it comes from another network', async () => {
    const person = newPerson();
    const { context, page } = await freshPage({ forwardedFor: '198.51.100.20' });
    await logIn(page, person);
    await onProfile(page);
    await setUpFromProfile(page);
    await logOut(page, person);
    await logIn(page, person);
    await onProfile(page);

    await page.getByRole('tab', { name: 'Known locations' }).click();
    expect(await page.getByRole('row').filter({ hasText: 'This browser' }).textContent()).toContain('198.51.100.0/24');
    await context.setExtraHTTPHeaders({ 'x-forwarded-for': '203.0.113.5' });
    await logOut(page, person);
    await logIn(page, person);
    await onVerification(page);
  });

  it('revokes all known locations at once and then shows none', async () => {
    const person = newPerson();
    const { page } = await freshPage();
    await logIn(page, person);
    await onProfile(page);
    await setUpFromProfile(page);
    await page.getByRole('tab', { name: 'Known locations' }).click();
    await page.getByRole('table').waitFor();
    await page.getByRole('button', { name: 'Revoke all' }).click();
    await page.getByText('No known locations.').waitFor();
    await screenshot(page, '2fa-known-locations-empty');
  });
});

/** The setup key as the page shows it, next to "Or enter this key", without its spaces. */
async function keyFromPage(page: Page): Promise<string> {
  const text = await page.getByText('Or enter this key').locator('..').innerText();
  const grouped = /\b((?:[A-Z2-7]{4} )+[A-Z2-7]{1,4})\b/.exec(text)?.[1];
  expect(grouped, text).toBeDefined();
  return grouped!.replace(/ /g, '');
}

async function expectCodeField(field: Locator): Promise<void> {
  expect(await field.getAttribute('inputmode')).toBe('numeric');
  expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
  expect(await field.getAttribute('pattern')).toBe('[0-9]{6}');
}

function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element.matches(':focus'));
}
