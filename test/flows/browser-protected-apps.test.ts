import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BrowserFlow, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';

const INSTANCE = { slug: 'guarded', name: 'Guarded Ltd', plan: 'business' };
const ADMIN = { email: 'grace@guarded.test', name: 'Grace Admin', password: 'cobol compiler 1959' };

function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
}

// Settings → Applications → Protected applications (SPEC §7): add with hosts and rules (a refused
// host says why), list, delete; at desktop and phone widths, with axe clean.
describe('Settings → Protected applications in the browser', { timeout: 120_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    server = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const width of [1280, 375]) {
    it(`protects, lists and deletes an application at ${width} px`, async () => {
      const { flow, admin } = server.addInstance('business');
      const { page } = await flow.settingsAs(admin);
      await page.setViewportSize({ width, height: 900 });
      await page.getByRole('tab', { name: 'Applications' }).click();
      await page.getByText('No protected applications yet.').waitFor();

      await page.getByRole('button', { name: 'Protect an application' }).click();
      const add = page.getByRole('dialog', { name: 'Protect an application' });
      await add.getByLabel('Name', { exact: true }).fill('Grafana');
      await add.getByLabel('Hosts', { exact: true }).fill('https://grafana.example.test');
      await add.getByLabel('Rules', { exact: true }).fill('/admin=mfa\n/api/admin=admin');
      await add.getByRole('button', { name: 'Protect application' }).click();
      await add.getByText('Use host names such as').waitFor();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      const host = `grafana-${width}-${Date.now()}.example.test`;
      await add.getByLabel('Hosts', { exact: true }).fill(host);
      await add.getByRole('button', { name: 'Protect application' }).click();
      await page.getByRole('status').filter({ hasText: 'Grafana is protected.' }).waitFor();

      const grafana = row(page, 'Grafana');
      await grafana.getByText(host).waitFor();
      await grafana.getByText('a code in this sign-in').waitFor();
      await grafana.getByText('administrators').waitFor();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `protected-apps-list-${width}`);

      await grafana.getByRole('button', { name: 'Delete Grafana' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete Grafana?' });
      await confirm.getByRole('button', { name: 'Delete protected application' }).click();
      await page.getByRole('status').filter({ hasText: 'Grafana was deleted.' }).waitFor();
      await page.getByText('No protected applications yet.').waitFor();
    });
  }
});
