import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  Authenticator,
  BrowserFlow,
  screenshot,
  seriousAccessibilityViolations,
  setupKeyFromPage,
  type Person,
} from '../support/browser.ts';

const INSTANCE = { slug: 'two-channel', name: 'Two Channel Inc', plan: 'business' };
const ADMIN = { email: 'ada@two-channel.test', name: 'Ada Admin', password: 'analytical engine 1843' };
const NEW_PASSWORD = 'a brand new passphrase for pia';

function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
}

async function atWidths(page: Page, name: string) {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await screenshot(page, `${name}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

// Issue 10 item 3: a user with 2FA on and no app who forgot the password recovers with the mailed
// link and the administrator's one-time code together, then sets up their app at login.
describe('a password recovery with the administrator’s code in the browser', { timeout: 180_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    server = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** The admin with an app, logged in again from that known location: the action asks for a step-up. */
  async function adminWithoutFreshCode(flow: BrowserFlow, admin: Person) {
    const authenticator = await flow.setUpThroughApi(admin);
    const opened = await flow.freshPage();
    await flow.logIn(opened.page, admin);
    await flow.onVerification(opened.page);
    await opened.page.getByLabel('Verification code').fill(await authenticator.nextCode());
    await opened.page.getByRole('button', { name: 'Verify' }).click();
    await flow.onProfile(opened.page);
    await flow.endSession(opened.context);
    await flow.logIn(opened.page, admin);
    await flow.onProfile(opened.page);
    await flow.openSettings(opened.page, admin);
    return { ...opened, authenticator };
  }

  it('admin starts it, the user enters the mailed link with the code and a new password, logs in and sets up the app', async () => {
    const { flow, admin } = server.addInstance('business');
    const member = flow.addPerson('member', 'Pia Pending');
    flow.addPerson('member', 'Olga Off');
    // Pia turned 2FA on and has no app yet (pending).
    const pia = await flow.apiSession(member);
    expect((await pia.request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);

    const { page, cspViolations, authenticator } = await adminWithoutFreshCode(flow, admin);
    await row(page, 'Pia Pending').getByRole('img', { name: '2FA enabled, not set up' }).waitFor();
    expect(
      await row(page, 'Olga Off')
        .getByRole('button', { name: /Password recovery/ })
        .count(),
    ).toBe(0);

    await row(page, 'Pia Pending').getByRole('button', { name: 'Password recovery for Pia Pending' }).click();
    const dialog = page.getByRole('dialog', { name: 'Password recovery for Pia Pending' });
    await dialog.waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await atWidths(page, 'admin-recovery-confirm');
    await dialog.getByRole('button', { name: 'Start recovery' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    await stepUp.getByLabel('Verification code').fill(await authenticator.nextCode());
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    const shown = dialog.locator('[data-recovery-code]');
    await shown.waitFor();
    const code = (await shown.textContent())!.trim();
    expect(code).toMatch(/^[2-9A-Z]{4}(-[2-9A-Z]{4}){3}$/);
    expect(await dialog.textContent()).toContain('Valid once, until');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await atWidths(page, 'admin-recovery-code');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(cspViolations).toEqual([]);

    // The mail has the link and says a code is needed, but never holds the code.
    const mail = await flow.waitForMail(member.email, 'Recover');
    expect(mail.text).toContain(admin.name);
    expect(mail.text.replace(/-/g, '')).not.toContain(code.replace(/-/g, ''));
    const link = /https?:\/\/\S+#token=[A-Za-z0-9_-]+/.exec(mail.text)![0];

    const user = await flow.freshPage();
    await user.page.goto(link);
    const recoveryField = user.page.getByLabel('Recovery code from your administrator');
    await recoveryField.waitFor();
    await user.page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await user.page.getByLabel('Repeat password').fill(NEW_PASSWORD);
    // A wrong code: nothing changes, the field says so.
    await recoveryField.fill('ABCD-EFGH-JKLM-NPQR');
    await user.page.getByRole('button', { name: 'Change password' }).click();
    await user.page.getByText('This recovery code is not valid').waitFor();
    expect(await seriousAccessibilityViolations(user.page)).toEqual([]);
    await atWidths(user.page, 'admin-recovery-link-page');
    await recoveryField.fill(code.toLowerCase());
    await user.page.getByRole('button', { name: 'Change password' }).click();
    await user.page.getByRole('heading', { name: 'Your password was changed' }).waitFor();
    // Never logged in (SPEC rule 13).
    expect((await user.context.cookies()).filter((c) => c.name === 'keyward_session')).toEqual([]);
    expect(user.cspViolations).toEqual([]);

    // Login with the new password, then setup of Pia's own app.
    await flow.logIn(user.page, { ...member, password: NEW_PASSWORD });
    await user.page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    await user.page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const app = new Authenticator(await setupKeyFromPage(user.page));
    await user.page.getByLabel('Verification code').fill(await app.nextCode());
    await user.page.getByRole('button', { name: 'Verify' }).click();
    await flow.onProfile(user.page);
    await flow.expectStatus(user.page, 'Active — an authenticator app is set up');
    await screenshot(user.page, 'admin-recovery-user-done');
  });
});
