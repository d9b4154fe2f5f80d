import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { BrowserFlow, isFocused, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';

const INSTANCE = { slug: 'guarded', name: 'Guarded Ltd', plan: 'business' };
const ADMIN = { email: 'grace@guarded.test', name: 'Grace Admin', password: 'cobol compiler 1959' };

function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
}

/** The field shows the server's refusal as its own: marked invalid, the words in its description, focused. */
async function expectFieldError(field: Locator, words: string) {
  await field
    .page()
    .locator(`#${await field.getAttribute('id')}-error`, { hasText: words })
    .waitFor();
  expect(await field.getAttribute('aria-invalid')).toBe('true');
  expect(await field.getAttribute('aria-describedby')).toContain('-error');
  expect(await isFocused(field)).toBe(true);
}

/** Nothing wider than the window, the table not scrolling sideways, and no host wider than its cell (it wraps). */
async function expectNoOverflow(page: Page) {
  // A string: this file is compiled without the DOM's types, the browser runs it.
  const widths = await page.evaluate<{ page: number; window: number; table: number[]; hosts: number[] }>(`({
    page: document.scrollingElement.scrollWidth,
    window: window.innerWidth,
    table: [...document.querySelectorAll('.protected-apps-table')].map((t) => t.parentElement.scrollWidth - t.parentElement.clientWidth),
    hosts: [...document.querySelectorAll('.uri-list > div')].map((cell) => cell.scrollWidth - cell.clientWidth),
  })`);
  expect(widths.page).toBeLessThanOrEqual(widths.window);
  expect(widths.table).toEqual([0]);
  expect(widths.hosts.filter((over) => over > 0)).toEqual([]);
}

// Settings → Applications → Protected applications (SPEC §7): add with hosts and rules (a refused
// host says why, on the field), list, edit (a host taken by another application is refused on the
// hosts field, a wrong requirement on the rules field; then a new host and rule show in the list),
// delete; at desktop and phone widths, with axe clean and no long host overflowing.
describe('Settings → Protected applications in the browser', { timeout: 180_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    server = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const width of [1280, 375]) {
    it(`protects, lists, edits and deletes an application at ${width} px`, async () => {
      const { flow, admin } = server.addInstance('business');
      const { page } = await flow.settingsAs(admin);
      await page.setViewportSize({ width, height: 900 });
      await page.getByRole('tab', { name: 'Applications' }).click();
      await page.getByText('No protected applications yet.').waitFor();
      await page.getByText('On each host, the proxy must send /.keyward/ to keyward').waitFor();

      await page.getByRole('button', { name: 'Protect an application' }).click();
      const add = page.getByRole('dialog', { name: 'Protect an application' });
      await add.getByText('docs/forward-auth.md has tested nginx and Caddy configurations.').waitFor();
      await add.getByLabel('Name', { exact: true }).fill('Grafana');
      await add.getByLabel('Hosts', { exact: true }).fill('https://grafana.example.test');
      await add.getByLabel('Rules', { exact: true }).fill('/admin=mfa\n/api/admin=admin');
      await add.getByRole('button', { name: 'Protect application' }).click();
      await expectFieldError(add.getByLabel('Hosts', { exact: true }), 'Use host names such as');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      const stamp = `${width}-${Date.now()}`;
      const host = `grafana-${stamp}.example.test`;
      await add.getByLabel('Hosts', { exact: true }).fill(host);
      await add.getByRole('button', { name: 'Protect application' }).click();
      await page.getByRole('status').filter({ hasText: 'Grafana is protected.' }).waitFor();

      const grafana = row(page, 'Grafana');
      await grafana.getByText(host).waitFor();
      await grafana.getByText('a code in this sign-in').waitFor();
      await grafana.getByText('administrators').waitFor();

      await page.getByRole('button', { name: 'Protect an application' }).click();
      await add.getByLabel('Name', { exact: true }).fill('Wiki');
      await add.getByLabel('Hosts', { exact: true }).fill(`wiki-${stamp}.example.test`);
      await add.getByRole('button', { name: 'Protect application' }).click();
      await page.getByRole('status').filter({ hasText: 'Wiki is protected.' }).waitFor();
      await row(page, 'Wiki').getByText('Anyone signed in, everywhere').waitFor();

      // Edit: the dialog starts from what is stored; refusals land on the field the server names.
      await row(page, 'Wiki').getByRole('button', { name: 'Edit Wiki' }).click();
      const edit = page.getByRole('dialog', { name: 'Edit Wiki' });
      expect(await edit.getByLabel('Name', { exact: true }).inputValue()).toBe('Wiki');
      expect(await edit.getByLabel('Hosts', { exact: true }).inputValue()).toBe(`wiki-${stamp}.example.test`);
      expect(await edit.getByLabel('Rules', { exact: true }).inputValue()).toBe('');
      await edit.getByLabel('Hosts', { exact: true }).fill(`wiki-${stamp}.example.test\n${host}`);
      await edit.getByRole('button', { name: 'Save' }).click();
      await expectFieldError(edit.getByLabel('Hosts', { exact: true }), 'already another protected application’s');
      await edit.getByLabel('Hosts', { exact: true }).fill(`wiki-${stamp}.example.test`);
      await edit.getByLabel('Rules', { exact: true }).fill('/private=root');
      await edit.getByRole('button', { name: 'Save' }).click();
      await expectFieldError(edit.getByLabel('Rules', { exact: true }), 'is not one of the choices');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `protected-apps-edit-${width}`);

      const longHost = `team-knowledge-base-and-handbook-${stamp}.intranet.departments.example.test`;
      await edit.getByLabel('Hosts', { exact: true }).fill(longHost);
      await edit.getByLabel('Rules', { exact: true }).fill('/private=admin');
      await edit.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Wiki was saved.' }).waitFor();
      const wiki = row(page, 'Wiki');
      await wiki.getByText(longHost).waitFor();
      expect(await wiki.getByText(`wiki-${stamp}.example.test`).count()).toBe(0);
      await wiki.getByText('/private').waitFor();
      await wiki.getByText('administrators').waitFor();
      expect(await wiki.getByText('Anyone signed in, everywhere').count()).toBe(0);
      // The other application is as it was.
      await grafana.getByText(host).waitFor();
      await expectNoOverflow(page);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `protected-apps-list-${width}`);

      for (const name of ['Grafana', 'Wiki']) {
        await row(page, name)
          .getByRole('button', { name: `Delete ${name}` })
          .click();
        const confirm = page.getByRole('dialog', { name: `Delete ${name}?` });
        await confirm.getByRole('button', { name: 'Delete protected application' }).click();
        await page
          .getByRole('status')
          .filter({ hasText: `${name} was deleted.` })
          .waitFor();
        await confirm.waitFor({ state: 'detached' });
      }
      await page.getByText('No protected applications yet.').waitFor();
    });
  }
});
