import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BrowserFlow, screenshot, seriousAccessibilityViolations, type Person } from '../support/browser.ts';

const INSTANCE = { slug: 'sessions', name: 'Sessions Ltd', plan: 'business' };
const ADMIN = { email: 'ada@sessions.test', name: 'Ada Admin', password: 'analytical engine 1843' };

function sessionRows(page: Page) {
  return page
    .getByRole('tabpanel')
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader') });
}

// One server (PGlite) for the file; every test adds its own people.
describe('My Profile → Sessions and "End all sessions" in the browser', { timeout: 120_000 }, () => {
  let flow: BrowserFlow;
  beforeAll(async () => {
    flow = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await flow?.stop();
  });

  /** A fresh browser where `person` logged in and is on My Profile. */
  async function loggedIn(person: Person) {
    const opened = await flow.freshPage();
    await flow.logIn(opened.page, person);
    await flow.onProfile(opened.page);
    return opened;
  }

  async function openSessions(page: Page) {
    await page.getByRole('tab', { name: 'Sessions' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.getByRole('table').waitFor();
  }

  /** The session behind that page ended: the next page load shows the login form. */
  async function expectLoggedOut(page: Page) {
    await page.reload();
    await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
  }

  it('lists this browser and the others, ends one, then all others, at 1280 and 375 px', async () => {
    const person = flow.addPerson();
    const laptop = await loggedIn(person);
    const tablet = await loggedIn(person);
    const { page, cspViolations } = await loggedIn(person);
    await openSessions(page);

    await expect.poll(() => sessionRows(page).count()).toBe(3);
    const current = sessionRows(page).filter({ hasText: 'This browser' });
    expect(await current.count()).toBe(1);
    expect(await current.textContent()).toContain('Chrome on Linux');
    expect(await current.textContent()).toContain('127.0.0.0/24');
    expect(await current.getByRole('button', { name: 'Log out Chrome on Linux (this browser)' }).count()).toBe(1);
    expect(await page.getByRole('tabpanel').textContent()).not.toContain('127.0.0.1');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'sessions-1280');
    await page.setViewportSize({ width: 375, height: 812 });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'sessions-375');
    await page.setViewportSize({ width: 1280, height: 800 });

    // The oldest other session first in the list of others: end one of them.
    const others = sessionRows(page).filter({ hasNotText: 'This browser' });
    await others
      .first()
      .getByRole('button', { name: /^End Chrome on Linux \(127\.0\.0\.0\/24, last used / })
      .click();
    await page.getByRole('status').filter({ hasText: 'was logged out' }).waitFor();
    await expect.poll(() => sessionRows(page).count()).toBe(2);
    const stillIn = await Promise.all(
      [laptop.page, tablet.page].map(async (other) => (await other.context().request.get(`${flow.server.origin}/api/v1/me`)).status()),
    );
    expect(stillIn.sort()).toEqual([200, 401]);

    await page.getByRole('button', { name: 'End all other sessions' }).click();
    await page.getByRole('status').filter({ hasText: '1 other session was ended' }).waitFor();
    await expect.poll(() => sessionRows(page).count()).toBe(1);
    await page.getByText('No other browser is logged in to your account.').waitFor();
    await expectLoggedOut(laptop.page);
    await expectLoggedOut(tablet.page);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'sessions-only-this');

    // "Log out" on this browser's row is a logout.
    await page.getByRole('button', { name: 'Log out Chrome on Linux (this browser)' }).click();
    await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    await expectLoggedOut(page);
    expect(cspViolations).toEqual([]);
  });

  it('lets an administrator end all sessions of a user from Settings → Users, after a confirmation', async () => {
    const person = flow.addPerson('member', 'Eve Example');
    const personBrowsers = [await loggedIn(person), await loggedIn(person)];
    const { page, cspViolations } = await flow.settingsAs(ADMIN);
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Eve Example' }) });
    await row.getByRole('button', { name: 'End all sessions of Eve Example' }).click();
    const dialog = page.getByRole('dialog', { name: 'End all sessions of Eve Example?' });
    await dialog.waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-end-sessions-dialog');

    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await personBrowsers[0]!.page.context().request.get(`${flow.server.origin}/api/v1/me`)).status()).toBe(200);

    await row.getByRole('button', { name: 'End all sessions of Eve Example' }).click();
    await dialog.getByRole('button', { name: 'End all sessions' }).click();
    await page.getByRole('status').filter({ hasText: 'Eve Example was logged out of 2 sessions' }).waitFor();
    for (const browser of personBrowsers) await expectLoggedOut(browser.page);
    const mail = await flow.waitForMail(person.email, 'You were logged out of Sessions Ltd everywhere');
    expect(mail.text).toContain(ADMIN.email);

    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'users-end-sessions-1280');
    await page.setViewportSize({ width: 375, height: 812 });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-end-sessions-375');
    expect(cspViolations).toEqual([]);
  });
});
