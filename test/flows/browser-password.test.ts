import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BrowserFlow, isFocused, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';

const INSTANCE = { slug: 'acme', name: 'Acme Robotics', plan: 'enterprise' };
const ADMIN = { email: 'ada@acme.test', name: 'Ada Admin', password: 'analytical engine 1843' };
const CHANGED = 'Your password was changed. Every other browser where you were logged in was logged out.';

async function fillPasswords(page: Page, current: string, next: string, repeat = next): Promise<void> {
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Repeat new password').fill(repeat);
  await page.getByRole('button', { name: 'Change password' }).click();
}

/** The error shown under a field (its aria-describedby), once it appears. */
async function fieldError(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label, { exact: true });
  await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
  const ids = (await field.getAttribute('aria-describedby'))!.split(' ');
  return (await page.locator(`[id="${ids.find((id) => id.endsWith('-error'))}"]`).textContent()) ?? '';
}

// Rotation itself cannot be reached here: a password expires after at least 30 days, and a server
// process keeps real time. The forced change is covered on the API with a fake clock
// (password-policy.test.ts); here the page is shown by answering its login with the step.
describe('changing the password in the browser', { timeout: 120_000 }, () => {
  let flow: BrowserFlow;
  beforeAll(async () => {
    flow = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await flow?.stop();
  });

  it('changes the password from My Profile, shows mistakes at their fields, and logs out other browsers', async () => {
    const person = flow.addPerson();
    const other = await flow.freshPage();
    await flow.logIn(other.page, person);
    await flow.onProfile(other.page);
    const { page, cspViolations } = await flow.freshPage();
    await flow.logIn(page, person);
    await flow.onProfile(page);

    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(`${flow.server.origin}/profile/password`);
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await fieldError(page, 'Current password')).toBe('Enter your current password.');
    expect(await isFocused(page.getByLabel('Current password'))).toBe(true);

    await fillPasswords(page, 'not my password at all', 'a fresh new passphrase');
    expect(await fieldError(page, 'Current password')).toBe('The current password is not correct.');
    await fillPasswords(page, person.password, 'a fresh new passphrase', 'a fresh new passphrasE');
    expect(await fieldError(page, 'Repeat new password')).toContain('not the same');
    // The effective minimum from GET /me: this account has no 2FA, so its password is the only factor (item 18).
    await page.getByText('15 to 256 characters.').waitFor();
    await fillPasswords(page, person.password, 'too short');
    expect(await fieldError(page, 'New password')).not.toBe('');
    expect(await page.getByLabel('New password', { exact: true }).inputValue()).toBe('');
    await fillPasswords(page, person.password, person.password);
    expect(await fieldError(page, 'New password')).toContain('one you used recently');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-password-errors');

    const changed = { ...person, password: 'a fresh new passphrase' };
    await fillPasswords(page, person.password, changed.password);
    await flow.onProfile(page);
    await page.getByRole('status').filter({ hasText: CHANGED }).waitFor();
    await flow.waitForMail(person.email, `Your ${INSTANCE.name} password was changed`);

    await other.page.reload();
    await other.page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    await flow.logOut(page, person);
    await flow.logIn(page, changed);
    await flow.onProfile(page);
    expect(cspViolations).toEqual([]);
  });

  it('asks a session from a known location to confirm with a code from the app (never the backup code) before changing the password', async () => {
    const person = flow.addPerson();
    const { context, page } = await flow.freshPage();
    await flow.logIn(page, person);
    await flow.onProfile(page);
    const authenticator = await flow.setUpFromProfile(page);
    await flow.endSession(context);
    await flow.logIn(page, person);
    await flow.onProfile(page); // a known location: no code asked, so no fresh second factor

    await page.getByRole('button', { name: 'Change password' }).click();
    const changed = { ...person, password: 'another careful passphrase' };
    await fillPasswords(page, person.password, changed.password);
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    // A backup code logs in and nothing more (SPEC rule 4): the step-up does not offer it.
    expect(await dialog.getByRole('button', { name: "I don't have my device" }).count()).toBe(0);
    await dialog.getByLabel('Verification code').fill(authenticator.wrongCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-step-up-code');
    await dialog.getByLabel('Verification code').fill(await authenticator.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await flow.onProfile(page);
    await page.getByRole('status').filter({ hasText: CHANGED }).waitFor();
  });

  it('shows the expired-password page when login answers change_password, and finishes the login with the new password', async () => {
    const person = flow.addPerson();
    const { page, cspViolations } = await flow.freshPage();
    // The server's own answer (and session cookie), with the step rotation would have given.
    await page.route('**/api/v1/auth/login', async (route) =>
      route.fulfill({ response: await route.fetch(), json: { next: 'change_password' } }),
    );
    await flow.logIn(page, person);
    await page.getByRole('heading', { name: 'Your password has expired' }).waitFor();
    expect(new URL(page.url()).search).toBe('?step=change_password');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-password-expired');

    await fillPasswords(page, person.password, 'a brand new passphrase');
    await flow.onProfile(page);
    await page.getByRole('status').filter({ hasText: 'Your password was changed.' }).waitFor();
    expect(cspViolations).toEqual([]);
  });

  it('warns on every page two weeks before the password expires, with a link to change it', async () => {
    const person = flow.addPerson();
    const { page } = await flow.freshPage();
    await flow.logIn(page, person);
    await flow.onProfile(page);
    expect(await page.getByText(/Your password expires/).count()).toBe(0);

    // The instance has no rotation; /me answers as it would five days before expiry, with a
    // warning from two weeks before it (warnDays 14).
    const expiresAt = new Date(Date.now() + 5 * 86_400_000).toISOString();
    const passwordWarningFrom = new Date(Date.now() - 9 * 86_400_000).toISOString();
    await page.route('**/api/v1/me', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), passwordExpiresAt: expiresAt, passwordWarningFrom } });
    });
    await page.reload();
    await page.getByText('Your password expires in 5 days.').waitFor();
    expect(await page.getByRole('tabpanel', { name: 'General Options' }).textContent()).toContain('Yours expires on');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-password-banner');
    await page.getByRole('link', { name: 'Change your password' }).click();
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
    await page.getByText('Your password expires in 5 days.').waitFor();
    expect(await page.getByRole('link', { name: 'Change your password' }).count()).toBe(0);
  });

  it('resets a forgotten password with the emailed link, asking for a code because 2FA is active, and keeps 2FA on', async () => {
    const person = flow.addPerson();
    const authenticator = await flow.setUpThroughApi(person);
    const { page, cspViolations } = await flow.freshPage();
    await page.goto(`${flow.server.origin}/login?instance=${INSTANCE.slug}`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    expect(await page.getByLabel('Instance').inputValue()).toBe(INSTANCE.slug);
    await page.getByLabel('Email').fill(person.email);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const mail = await flow.waitForMail(person.email, `Reset your ${INSTANCE.name} password`);
    const link = /https?:\/\/\S+\/reset\?instance=[\w-]+#token=[\w-]+/.exec(mail.text)?.[0];
    expect(link, mail.text).toBeDefined();
    await page.goto(link!);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    const changed = { ...person, password: 'a harbour lantern at dusk' };
    await page.getByLabel('Password', { exact: true }).fill(changed.password);
    await page.getByLabel('Repeat password').fill(changed.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    // The mailbox alone is not enough (SPEC rule 13): a current code from the app as well.
    const code = page.getByLabel('Verification code');
    expect(await fieldError(page, 'Verification code')).toContain('authenticator app');
    expect(await isFocused(code)).toBe(true);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-password-reset-code');
    await code.fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Your password was changed' }).waitFor();

    await page.getByRole('link', { name: 'Go to the login page' }).click();
    await flow.logIn(page, changed);
    await flow.onVerification(page);
    await page.getByLabel('Verification code').fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await flow.onProfile(page);
    expect(cspViolations).toEqual([]);
  });
});
