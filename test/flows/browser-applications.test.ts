import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BrowserFlow, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';

const INSTANCE = { slug: 'apps', name: 'Apps Ltd', plan: 'business' };
const ADMIN = { email: 'ada@apps.test', name: 'Ada Admin', password: 'analytical engine 1843' };

function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
}

// Settings → Applications (SPEC §6): add, edit the URIs, replace the secret (shown once, with a
// copy button), delete with a confirmation; at desktop and phone widths, with axe clean.
describe('Settings → Applications in the browser', { timeout: 120_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    server = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const width of [1280, 375]) {
    it(`adds, edits, re-secrets and deletes an application at ${width} px`, async () => {
      const { flow, admin } = server.addInstance('business');
      const { page, context, cspViolations } = await flow.settingsAs(admin);
      await context.grantPermissions(['clipboard-read', 'clipboard-write']);
      await page.setViewportSize({ width, height: 900 });
      await page.getByRole('tab', { name: 'Applications' }).click();
      await page.getByRole('heading', { name: 'Applications', exact: true }).waitFor();
      await page.getByText('No applications yet.').waitFor();

      await page.getByRole('button', { name: 'Add application' }).click();
      const add = page.getByRole('dialog', { name: 'Add application' });
      await add.getByLabel('Name', { exact: true }).fill('Billing');
      await add.getByLabel('Redirect URIs', { exact: true }).fill('http://billing.example.test/cb');
      await add.getByRole('button', { name: 'Add application' }).click();
      // A refused URI: the field says why, and nothing is added.
      await add.getByText('Use https, or http only on 127.0.0.1').waitFor();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await add.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.test/cb\nhttp://127.0.0.1:4000/cb');
      await add.getByRole('button', { name: 'Add application' }).click();

      const added = page.getByRole('dialog', { name: 'Billing was added' });
      await added.getByText('shown only this once').waitFor();
      const secret = (await added.locator('code').nth(1).textContent())!;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await added.getByRole('button', { name: 'Copy secret' }).click();
      await added.getByText('Secret copied.').waitFor();
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `applications-secret-${width}`);
      await added.getByRole('button', { name: 'Done' }).click();

      const billing = row(page, 'Billing');
      await billing.getByText('https://billing.example.test/cb').waitFor();
      // The secret is shown once: the list never has it.
      expect(await page.content()).not.toContain(secret);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `applications-list-${width}`);

      await billing.getByRole('button', { name: 'Edit Billing' }).click();
      const edit = page.getByRole('dialog', { name: 'Edit Billing' });
      await edit.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.test/new-cb');
      await edit.getByLabel('Post-logout redirect URIs').fill('https://billing.example.test/');
      await edit.getByLabel('Back-channel logout URI').fill('https://billing.example.test/backchannel-logout');
      await edit.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Billing was saved.' }).waitFor();
      await billing.getByText('https://billing.example.test/new-cb').waitFor();
      // Saved as given: the dialog opens with it again.
      await billing.getByRole('button', { name: 'Edit Billing' }).click();
      expect(await edit.getByLabel('Back-channel logout URI').inputValue()).toBe('https://billing.example.test/backchannel-logout');
      await edit.getByRole('button', { name: 'Cancel' }).click();

      await billing.getByRole('button', { name: 'Replace the secret of Billing' }).click();
      await page.getByRole('dialog', { name: 'Replace the secret?' }).getByRole('button', { name: 'Replace secret' }).click();
      const rotated = page.getByRole('dialog', { name: 'New secret for Billing' });
      const newSecret = (await rotated.locator('code').nth(1).textContent())!;
      expect(newSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(newSecret).not.toBe(secret);
      await rotated.getByRole('button', { name: 'Done' }).click();

      await billing.getByRole('button', { name: 'Delete Billing' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete Billing?' });
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      expect(await billing.count()).toBe(1);
      await billing.getByRole('button', { name: 'Delete Billing' }).click();
      await page.getByRole('dialog', { name: 'Delete Billing?' }).getByRole('button', { name: 'Delete application' }).click();
      await page.getByRole('status').filter({ hasText: 'Billing was deleted.' }).waitFor();
      await page.getByText('No applications yet.').waitFor();
      expect(cspViolations).toEqual([]);
    });
  }
});
