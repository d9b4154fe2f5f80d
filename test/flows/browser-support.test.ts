import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  Authenticator,
  BrowserFlow,
  isFocused,
  screenshot,
  seriousAccessibilityViolations,
  setupKeyFromPage,
  type Person,
} from '../support/browser.ts';

const INSTANCE = { slug: 'vendor', name: 'Vendor Host', plan: 'enterprise' };
const STEP_UP_SECONDS = 10;
const ADMIN = { email: 'ada@vendor-host.test', name: 'Ada Admin', password: 'analytical engine 1843' };

function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
}

async function logInToSupport(page: Page, origin: string, operator: Person): Promise<void> {
  await page.goto(`${origin}/support`);
  await page.getByRole('heading', { name: 'Support login' }).waitFor();
  await page.getByLabel('Email').fill(operator.email);
  await page.getByLabel('Password').fill(operator.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

// SPEC rule 9: an administrator who lost everything is reset by the vendor's support staff, in
// the support console at /support, after verifying who they are. One server for the file; each
// test has an instance and an operator of its own.
describe('the support console in the browser', { timeout: 180_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    // A short step-up window (the vendor's setting), so the test meets a real step_up_required.
    server = await BrowserFlow.start(INSTANCE, ADMIN, { KEYWARD_SUPPORT_STEP_UP_SECONDS: String(STEP_UP_SECONDS) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sets up 2FA at the first login, asks for a code at the next, and resets an administrator with a verification record', async () => {
    const { flow, admin } = server.addInstance('enterprise');
    const lost = await flow.setUpThroughApi(admin);
    const other = flow.addPerson('admin', 'Otto Other');
    const member = flow.addPerson('member', 'Max Member');
    await flow.setUpThroughApi(member);
    const operator = server.addOperator('Sam Support');

    // First login: password, then an authenticator app must be set up (no postponing).
    const { context, page, cspViolations } = await flow.freshPage();
    await logInToSupport(page, flow.server.origin, operator);
    await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    expect(new URL(page.url()).search).toBe('?step=setup');
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    expect(await page.getByRole('button', { name: 'Postpone' }).count()).toBe(0);
    const app = new Authenticator(await setupKeyFromPage(page));
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-setup');
    await page.getByLabel('Verification code').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Support console' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Your authenticator app is set up.' }).waitFor();
    expect(await page.getByRole('banner').textContent()).toContain('Logged in as Sam Support');

    // Log out; the next login asks for a code from that app.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Support login' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'You are logged out.' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-login');
    await logInToSupport(page, flow.server.origin, operator);
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    expect(new URL(page.url()).search).toBe('?step=verify');
    expect(await page.getByRole('button', { name: "I don't have my device" }).count()).toBe(0);
    await page.getByLabel('Verification code').fill(app.wrongCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-verify');
    await page.getByLabel('Verification code').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Support console' }).waitFor();

    // Find the instance, open its users.
    await page.getByRole('searchbox', { name: 'Find an instance' }).fill(flow.instance.slug);
    const found = page.getByRole('list', { name: 'Matching instances' }).getByRole('link', { name: new RegExp(flow.instance.name) });
    await expect.poll(() => found.count()).toBe(1);
    await found.click();
    await page.getByRole('heading', { name: `Users of ${flow.instance.name}` }).waitFor();
    expect(new URL(page.url()).searchParams.get('instance')).toBe(flow.instance.slug);
    expect(await found.getAttribute('aria-current')).toBe('page');
    await row(page, admin.name).getByRole('img', { name: '2FA active' }).waitFor();
    expect(await row(page, admin.name).getByRole('cell', { name: 'Administrator' }).count()).toBe(1);
    // Members are reset by their own administrators: no action, and a word on why.
    expect(await row(page, 'Max Member').getByRole('button').count()).toBe(0);
    expect(await row(page, 'Max Member').textContent()).toContain('Reset by their administrators');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-console');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-console-narrow');
    await page.setViewportSize({ width: 1280, height: 720 });

    const resets: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/two-factor/reset')) resets.push(request.url());
    });
    await row(page, admin.name)
      .getByRole('button', { name: `Reset 2FA for ${admin.name}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Reset 2FA for ${admin.name}?` });
    await dialog.waitFor();
    for (const part of ['authenticator app', 'backup code', 'trusted browsers', 'logged out everywhere', 'emailed'])
      expect(await dialog.textContent()).toContain(part);

    // Without a reference the form refuses, before asking the server.
    await dialog.getByLabel('Method').selectOption({ label: 'Video call: official ID matched to the account’s name' });
    await dialog.getByRole('button', { name: 'Reset 2FA' }).click();
    const reference = dialog.getByLabel('Reference');
    expect(await reference.getAttribute('aria-invalid')).toBe('true');
    expect(await isFocused(reference)).toBe(true);
    expect(await dialog.locator('#verification-reference-error').textContent()).toContain('reference');
    // "Other" needs notes.
    await dialog.getByLabel('Method').selectOption({ label: 'Other' });
    await reference.fill('SUP-1234');
    await dialog.getByRole('button', { name: 'Reset 2FA' }).click();
    expect(await dialog.getByLabel('Notes').getAttribute('aria-invalid')).toBe('true');
    expect(resets).toEqual([]);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-reset-refused');

    // The code from login counts as fresh for STEP_UP_SECONDS (the server's setting in this
    // file); once that has passed, the server asks for a new one.
    await expect
      .poll(async () => (await (await page.request.get(`${flow.server.origin}/api/v1/support/me`)).json()).stepUpUntil, {
        timeout: (STEP_UP_SECONDS + 5) * 1000,
      })
      .toBeNull();
    await dialog.getByLabel('Method').selectOption({ label: 'Video call: official ID matched to the account’s name' });
    await dialog.getByRole('button', { name: 'Reset 2FA' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    expect(await stepUp.getByRole('button', { name: "I don't have my device" }).count()).toBe(0);
    await screenshot(page, 'support-step-up');
    await stepUp.getByLabel('Verification code').fill(await app.nextCode());
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Two-factor authentication for ${admin.name} was reset.` })
      .waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(resets).toHaveLength(2);
    await row(page, admin.name).getByRole('img', { name: '2FA enabled, not set up' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-reset-done');
    expect(cspViolations).toEqual([]);

    // When the support session ends (15 minutes idle), the console says so at the next request.
    await context.clearCookies({ name: 'keyward_session' });
    await page.getByRole('searchbox', { name: 'Search users' }).fill('Max');
    await page.getByRole('heading', { name: 'Support login' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Your support session has ended.' }).waitFor();

    // The administrator and the other administrator are told, with the reference.
    expect((await flow.waitForMail(admin.email, 'Two-factor authentication was reset')).text).toContain('SUP-1234');
    expect((await flow.waitForMail(other.email, `Two-factor authentication of administrator ${admin.name}`)).text).toContain('SUP-1234');

    // The administrator logs in and sets up an app again; the audit log names support.
    const adminPage = await flow.freshPage();
    await flow.logIn(adminPage.page, admin);
    await adminPage.page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    await adminPage.page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const replacement = new Authenticator(await setupKeyFromPage(adminPage.page));
    expect(replacement.secret).not.toBe(lost.secret);
    await adminPage.page.getByLabel('Verification code').fill(await replacement.nextCode());
    await adminPage.page.getByRole('button', { name: 'Verify' }).click();
    await flow.onProfile(adminPage.page);
    const activity = adminPage.page.getByRole('region', { name: 'Recent security activity' });
    await activity
      .getByRole('row')
      .filter({ hasText: 'Two-factor authentication reset' })
      .filter({ hasText: 'Reset by support (Sam Support)' })
      .waitFor();
    await flow.openSettings(adminPage.page, admin);
    await adminPage.page.getByRole('tab', { name: 'Audit' }).click();
    await adminPage.page.getByLabel('Action').selectOption({ label: 'Two-factor authentication reset' });
    const event = adminPage.page.locator('tbody tr').filter({ hasText: 'Sam Support' });
    await event.waitFor();
    expect(await event.textContent()).toContain('SUP-1234');
    expect(await event.textContent()).toContain('Support');
    await screenshot(adminPage.page, 'support-reset-audit');
  });

  // Issue 10 item 22: every reload asked the instance's /api/v1/me, which cleared the operator's
  // cookie, so a reload or a second tab logged the operator out.
  it('keeps the operator logged in across reloads and in a second tab', async () => {
    const { flow } = server.addInstance('enterprise');
    const operator = server.addOperator('Rita Reload');
    const { context, page } = await flow.freshPage();
    const instanceMe: string[] = [];
    context.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/v1/me') instanceMe.push(request.url());
    });
    await logInToSupport(page, flow.server.origin, operator);
    await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    const app = new Authenticator(await setupKeyFromPage(page));
    await page.getByLabel('Verification code').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Support console' }).waitFor();

    for (let i = 0; i < 2; i += 1) {
      await page.reload();
      await page.getByRole('heading', { name: 'Support console' }).waitFor();
      expect(await page.getByRole('banner').textContent()).toContain('Logged in as Rita Reload');
    }
    const second = await context.newPage();
    await second.goto(`${flow.server.origin}/support`);
    await second.getByRole('heading', { name: 'Support console' }).waitFor();
    expect(await second.getByRole('banner').textContent()).toContain('Logged in as Rita Reload');
    await second.getByRole('list', { name: 'Matching instances' }).waitFor();
    await screenshot(second, 'support-second-tab');
    // The first tab still works after all that: its next request finds the session.
    await page.getByRole('searchbox', { name: 'Find an instance' }).fill(flow.instance.slug);
    await expect
      .poll(() =>
        page
          .getByRole('list', { name: 'Matching instances' })
          .getByRole('link', { name: new RegExp(flow.instance.name) })
          .count(),
      )
      .toBe(1);
    await page.reload();
    await page.getByRole('heading', { name: 'Support console' }).waitFor();
    await screenshot(page, 'support-after-reload');
    expect(instanceMe).toEqual([]);
  });

  it('shows the support login to a browser with an instance session', async () => {
    const { flow, admin } = server.addInstance('business');
    const { page } = await flow.freshPage();
    await flow.logIn(page, admin);
    await flow.onProfile(page);
    // An instance session is not an operator session: /support shows its own login.
    await page.goto(`${flow.server.origin}/support`);
    await page.getByRole('heading', { name: 'Support login' }).waitFor();
  });
});
