import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator, BrowserFlow, screenshot, seriousAccessibilityViolations, setupKeyFromPage } from '../support/browser.ts';
import { backupCodeIn } from '../support/browser.ts';

const INSTANCE = { slug: 'globex', name: 'Globex', plan: 'professional' };
const ADMIN = { email: 'hank@globex.test', name: 'Hank Scorpio', password: 'a volcano lair of my own' };

// Issue 13, authenticator setup: what a member meets when connecting an app, at 1280 and 375 px.
describe('setting up an authenticator app in the browser', { timeout: 120_000 }, () => {
  let flow: BrowserFlow;
  beforeAll(async () => {
    flow = await BrowserFlow.start(INSTANCE, ADMIN, { KEYWARD_SUPPORT_CONTACT: 'help@vendor.test' });
  });
  afterAll(async () => {
    await flow?.stop();
  });

  it('names the instance in the app entry and the prompt, offers an otpauth link, and keeps the key across a reload', async () => {
    const person = flow.addPerson();
    const api = await flow.apiSession(person);
    expect((await api.request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);
    const { page, cspViolations } = await flow.freshPage();
    await flow.logIn(page, person);
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    const key = await setupKeyFromPage(page);
    await page.getByText('The app lists it as Globex (keyward).').waitFor();
    await page.getByText('Enter the code from your authenticator app for Globex (keyward).').waitFor();
    const link = page.getByRole('link', { name: 'Add it to an authenticator app on this device' });
    const href = (await link.getAttribute('href'))!;
    expect(href.startsWith('otpauth://totp/')).toBe(true);
    expect(new URL(href).searchParams.get('issuer')).toBe('Globex (keyward)');
    expect(new URL(href).searchParams.get('secret')).toBe(key);

    // A reload keeps the key the app may already have scanned.
    await page.reload();
    await qr.waitFor();
    expect(await setupKeyFromPage(page)).toBe(key);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'setup-named-1280');
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await link.isVisible()).toBe(true);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'setup-named-375');

    // Digits only: letters never enter the field, spaces and dashes go; the sixth digit sends it.
    const field = page.getByLabel('Verification code');
    await field.pressSequentially('1a2 b-');
    expect(await field.inputValue()).toBe('12');
    await field.fill('');
    const authenticator = new Authenticator(key);
    await field.pressSequentially(await authenticator.nextCode());
    await flow.onProfile(page);
    // Replacing says what it does (all three are true: see test/flows/two-factor.test.ts).
    await page
      .getByText('the old app stops working, every other browser is logged out, and a new backup code is emailed to you.')
      .first()
      .waitFor();
    expect(cspViolations).toEqual([]);
  });

  it('after a backup-code login, says a new code was emailed and how to replace a lost app', async () => {
    const person = flow.addPerson();
    const first = await flow.freshPage();
    await flow.logIn(first.page, person);
    await flow.onProfile(first.page);
    await flow.setUpFromProfile(first.page);
    const issued = await flow.waitForMail(person.email, 'Your backup code for Globex');

    const lost = await flow.freshPage();
    await flow.logIn(lost.page, person);
    await flow.onVerification(lost.page);
    await flow.verifyWithBackupCode(lost.page, backupCodeIn(issued));
    await flow.onProfile(lost.page);
    const notice = lost.page.getByRole('status').filter({ hasText: 'a new backup code has been emailed to you' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('replace the authenticator app');
    await lost.page.getByText('Ask an administrator of Globex').waitFor();
    expect(await seriousAccessibilityViolations(lost.page)).toEqual([]);
    await screenshot(lost.page, 'backup-login-notice-1280');
    await lost.page.setViewportSize({ width: 375, height: 800 });
    expect(await seriousAccessibilityViolations(lost.page)).toEqual([]);
    await screenshot(lost.page, 'backup-login-notice-375');
  });

  it("points an administrator who lost their device to the vendor's support contact, members to their administrators", async () => {
    const admin = flow.addPerson('admin', 'Ann Admin');
    const first = await flow.freshPage();
    await flow.logIn(first.page, admin);
    await flow.onProfile(first.page);
    await flow.setUpFromProfile(first.page);
    const issued = await flow.waitForMail(admin.email, 'Your backup code for Globex');

    const lost = await flow.freshPage();
    await flow.logIn(lost.page, admin);
    await flow.onVerification(lost.page);
    await lost.page.getByRole('button', { name: "I don't have my device" }).click();
    await lost.page.getByText('Administrators contact the support of your keyward provider (help@vendor.test)').waitFor();
    await lost.page.getByText('members ask an administrator of their instance').waitFor();
    expect(await lost.page.getByRole('link', { name: 'help@vendor.test' }).getAttribute('href')).toBe('mailto:help@vendor.test');
    expect(await seriousAccessibilityViolations(lost.page)).toEqual([]);
    await lost.page.setViewportSize({ width: 375, height: 800 });
    expect(await seriousAccessibilityViolations(lost.page)).toEqual([]);
    await screenshot(lost.page, 'verify-no-device-375');
    await lost.page.setViewportSize({ width: 1280, height: 800 });
    await flow.verifyWithBackupCode(lost.page, backupCodeIn(issued));
    await flow.onProfile(lost.page);
    await lost.page.getByText('As an administrator, contact the support of your keyward provider (help@vendor.test)').waitFor();
    expect(await seriousAccessibilityViolations(lost.page)).toEqual([]);
    await screenshot(lost.page, 'admin-new-phone-help-1280');
  });
});
