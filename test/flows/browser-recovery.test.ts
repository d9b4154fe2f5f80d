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

const INSTANCE = { slug: 'recovery', name: 'Recovery Inc', plan: 'business' };
const ADMIN = { email: 'ada@recovery.test', name: 'Ada Admin', password: 'analytical engine 1843' };

/** The row of the Users table whose name cell starts with `name`. */
function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
}

// SPEC rule 8: a user who lost both their app and their backup code asks an administrator of
// their instance, who resets their 2FA in the Users list. One server for the file; each test has
// an instance of its own (`keyward instance create`).
describe('an administrator resets a user’s 2FA in the browser', { timeout: 150_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    server = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** The admin logs in with a code once, then again from that known location: no fresh code. */
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

  it('resets a member who lost their device: confirmation, a code, a gray shield, an email, and setup again at login', async () => {
    const { flow, admin } = server.addInstance('business');
    const member = flow.addPerson('member', 'Max Member');
    const lost = await flow.setUpThroughApi(member);
    flow.addPerson('member', 'Olga Off');
    const { page, cspViolations, authenticator } = await adminWithoutFreshCode(flow, admin);

    await row(page, 'Max Member').getByRole('img', { name: '2FA active' }).waitFor();
    // Nothing to reset for someone with 2FA off, and never one's own account (support does that).
    expect(
      await row(page, 'Olga Off')
        .getByRole('button', { name: /Reset 2FA/ })
        .count(),
    ).toBe(0);
    expect(await row(page, admin.name).getByRole('button').count()).toBe(0);

    const open = row(page, 'Max Member').getByRole('button', { name: 'Reset 2FA for Max Member' });
    await open.click();
    const dialog = page.getByRole('dialog', { name: 'Reset 2FA for Max Member?' });
    await dialog.waitFor();
    const said = await dialog.textContent();
    for (const part of ['authenticator app', 'backup code', 'trusted browsers', 'logged out everywhere', 'next login', 'email'])
      expect(said).toContain(part);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'recovery-admin-confirm');

    // Cancel changes nothing and gives focus back to the button.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await isFocused(open)).toBe(true);

    await open.click();
    await dialog.getByLabel('Reason (optional)').fill('Lost phone, confirmed in person');
    await dialog.getByRole('button', { name: 'Reset 2FA' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    await screenshot(page, 'recovery-admin-step-up');
    await stepUp.getByLabel('Verification code').fill(await authenticator.nextCode());
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').filter({ hasText: 'Two-factor authentication for Max Member was reset.' }).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await row(page, 'Max Member').getByRole('img', { name: '2FA enabled, not set up' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'recovery-admin-done');
    expect(cspViolations).toEqual([]);

    const mail = await flow.waitForMail(member.email, 'Two-factor authentication was reset');
    expect(mail.text).toContain(admin.name);
    expect(mail.text).toContain('set up your authenticator app again');

    // The member: password, then setup again with a new app (the old one is gone).
    const again = await flow.freshPage();
    await flow.logIn(again.page, member);
    await again.page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    await again.page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const replacement = new Authenticator(await setupKeyFromPage(again.page));
    expect(replacement.secret).not.toBe(lost.secret);
    await again.page.getByLabel('Verification code').fill(await replacement.nextCode());
    await again.page.getByRole('button', { name: 'Verify' }).click();
    await flow.onProfile(again.page);
    await flow.expectStatus(again.page, 'Active — an authenticator app is set up');

    // Their own recent activity says who reset it.
    const activity = again.page.getByRole('region', { name: 'Recent security activity' });
    const resetRow = activity.getByRole('row').filter({ hasText: 'Two-factor authentication reset' });
    await resetRow.waitFor();
    expect(await resetRow.textContent()).toContain(`Reset by ${admin.name}`);
    expect(await activity.getByRole('row').filter({ hasText: 'Authenticator app set up' }).count()).toBeGreaterThan(0);
    expect(await seriousAccessibilityViolations(again.page)).toEqual([]);
    await screenshot(again.page, 'recovery-member-activity');
    expect(again.cspViolations).toEqual([]);

    // Another browser: the new app's code logs in, the lost one's does not.
    const later = await flow.freshPage();
    await flow.logIn(later.page, member);
    await flow.onVerification(later.page);
    await later.page.getByLabel('Verification code').fill(await lost.nextCode());
    await later.page.getByRole('button', { name: 'Verify' }).click();
    await later.page.getByRole('alert').waitFor();
    await later.page.getByLabel('Verification code').fill(await replacement.nextCode());
    await later.page.getByRole('button', { name: 'Verify' }).click();
    await flow.onProfile(later.page);
  });

  it('says why the server refused a reset', async () => {
    const { flow, admin } = server.addInstance('business');
    const member = flow.addPerson('member', 'Gone Soon');
    await flow.setUpThroughApi(member);
    const colleague = flow.addPerson('admin', 'Cole Colleague');
    const { page } = await flow.freshPage();
    await flow.logIn(page, admin);
    await flow.onProfile(page);
    await flow.openSettings(page, admin);
    await row(page, 'Gone Soon').getByRole('button', { name: 'Reset 2FA for Gone Soon' }).waitFor();
    // Another administrator makes this one a member after the list was loaded: the real server refuses.
    const colleagueApi = await flow.apiSession(colleague);
    const users = (await colleagueApi.request('GET', `/api/v1/admin/users?q=${encodeURIComponent(admin.email)}`)).json.users as Array<{
      id: string;
    }>;
    expect((await colleagueApi.request('PATCH', `/api/v1/admin/users/${users[0]!.id}`, { role: 'member' })).status).toBe(200);
    await row(page, 'Gone Soon').getByRole('button', { name: 'Reset 2FA for Gone Soon' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset 2FA for Gone Soon?' });
    await dialog.getByRole('button', { name: 'Reset 2FA' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Only administrators can do this.' }).waitFor();
    await screenshot(page, 'recovery-admin-refused');
  });
});
