import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator, BrowserFlow, screenshot, seriousAccessibilityViolations, setupKeyFromPage } from '../support/browser.ts';

const INSTANCE = { slug: 'acme', name: 'Acme Robotics', plan: 'business' };
const ADMIN = { email: 'ada@acme.test', name: 'Ada Admin', password: 'analytical engine 1843' };

// Step-up (SPEC rule 12): a session that logged in from a known location skipped the code, so a
// sensitive action answers step_up_required and the page asks for a current code, then retries.
describe('confirming sensitive changes with a code in the browser', { timeout: 90_000 }, () => {
  let flow: BrowserFlow;
  beforeAll(async () => {
    flow = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await flow?.stop();
  });

  it('asks an administrator whose session skipped the code for one before saving security settings', async () => {
    const admin = flow.addPerson('admin');
    const { context, page, cspViolations } = await flow.freshPage();
    await flow.logIn(page, admin);
    await flow.onProfile(page);
    const authenticator = await flow.setUpFromProfile(page);
    await flow.endSession(context);
    await flow.logIn(page, admin);
    await flow.onProfile(page); // a known location: no code asked, so no fresh second factor either

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

  it('asks for the password and a current code before replacing the app', async () => {
    const person = flow.addPerson();
    const { context, page } = await flow.freshPage();
    await flow.logIn(page, person);
    await flow.onProfile(page);
    const old = await flow.setUpFromProfile(page);
    await flow.endSession(context);
    await flow.logIn(page, person);
    await flow.onProfile(page);

    await page.getByRole('button', { name: 'Replace authenticator app' }).click();
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'replace-app-proof');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'replace-app-proof-375');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByLabel('Current password').fill(person.password);
    await page.getByLabel('Verification code').fill(await old.nextCode());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const replacement = new Authenticator(await setupKeyFromPage(page));
    expect(replacement.secret).not.toBe(old.secret);
    await page.getByLabel('Verification code').fill(await replacement.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await flow.onProfile(page);
    await flow.expectStatus(page, 'Active — an authenticator app is set up');
  });
});
