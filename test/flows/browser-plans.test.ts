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

const INSTANCE = { slug: 'vendor-plans', name: 'Vendor Host', plan: 'enterprise' };
const ADMIN = { email: 'ada@vendor-plans.test', name: 'Ada Admin', password: 'analytical engine 1843' };

async function logInToSupport(page: Page, origin: string, operator: Person): Promise<void> {
  await page.goto(`${origin}/support`);
  await page.getByLabel('Email').fill(operator.email);
  await page.getByLabel('Password').fill(operator.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  const app = new Authenticator(await setupKeyFromPage(page));
  await page.getByLabel('Verification code').fill(await app.nextCode());
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Support console' }).waitFor();
}

// Issue 13: support moves an instance to another plan, and the instance's Settings say what the
// plan allows. Screenshots at 1280 and 375 px, axe at both.
describe('plans in the browser', { timeout: 180_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    server = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lets support move an instance down from Enterprise, saying what ends, and its admin sees the fixed settings', async () => {
    const { flow, admin } = server.addInstance('enterprise');
    const operator = server.addOperator('Sam Support');
    const { page } = await flow.freshPage();
    await logInToSupport(page, flow.server.origin, operator);
    await page.goto(`${flow.server.origin}/support?instance=${flow.instance.slug}`);
    await page.getByRole('heading', { name: `Users of ${flow.instance.name}` }).waitFor();
    const plan = page.getByLabel('Plan', { exact: true });
    await plan.selectOption('professional');
    await page.getByText('Auto-enable, enforced setup and password rotation end, and trusted browsers go back').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-plan-change-1280');
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'support-plan-change-375');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Change plan' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${flow.instance.name} is on the Professional plan now.` })
      .waitFor();
    await page.getByText('Professional plan. Only administrators').waitFor();

    const settings = await flow.settingsAs(admin);
    await settings.page.getByRole('tab', { name: 'Security' }).click();
    await settings.page.getByText('On the Professional plan, a browser stays trusted for 30 days').waitFor();
    expect(await settings.page.getByLabel('Trust known locations for (days)').isDisabled()).toBe(true);
    expect(await seriousAccessibilityViolations(settings.page)).toEqual([]);
    await screenshot(settings.page, 'settings-security-professional-1280');
    await settings.page.setViewportSize({ width: 375, height: 800 });
    expect(await seriousAccessibilityViolations(settings.page)).toEqual([]);
    await screenshot(settings.page, 'settings-security-professional-375');
  });
});
