import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type HttpClient } from '../support/http-client.ts';
import { BrowserFlow, isFocused, screenshot, seriousAccessibilityViolations, type Person } from '../support/browser.ts';

const INSTANCE = { slug: 'audit', name: 'Audit Inc', plan: 'business' };
const ADMIN = { email: 'ada@audit.test', name: 'Ada Admin', password: 'analytical engine 1843' };

/** The audit table's body rows, once the list has settled. */
function eventRows(page: Page) {
  return page.getByRole('table', { name: 'Audit events, newest first' }).locator('tbody tr');
}

async function shownCount(page: Page): Promise<string> {
  return (
    (await page
      .getByRole('status')
      .filter({ hasText: /^Showing|^No events match/ })
      .textContent()) ?? ''
  );
}

async function actions(page: Page): Promise<string[]> {
  return eventRows(page)
    .locator('th')
    .evaluateAll((cells) => cells.map((cell) => cell.firstChild?.textContent ?? ''));
}

async function userId(admin: HttpClient, email: string): Promise<string> {
  const { json } = await admin.request('GET', `/api/v1/admin/users?q=${encodeURIComponent(email)}`);
  const found = (json.users as Array<{ id: string; email: string }>).find((user) => user.email === email);
  expect(found, email).toBeDefined();
  return found!.id;
}

// Settings → Audit and My Profile's recent activity. One server for the file; each test has an
// instance of its own, so the events it sees are its own.
describe('the audit log in the browser', { timeout: 120_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    server = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function openAudit(flow: BrowserFlow, admin: Person) {
    const opened = await flow.settingsAs(admin);
    await opened.page.getByRole('tab', { name: 'Audit' }).click();
    await opened.page.getByRole('heading', { name: 'Audit log' }).waitFor();
    return opened;
  }

  it('shows a reset with its actor and target, filters by action and by user, and exports the same selection as CSV', async () => {
    const { flow, admin } = server.addInstance('business');
    const member = flow.addPerson('member', 'Max Member');
    // 2FA on, no app yet: a password-only admin may reset that (removing an app needs 2FA of one's own).
    expect((await (await flow.apiSession(member)).request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);
    const olga = flow.addPerson('member', 'Olga Other');
    await flow.apiSession(olga);
    const adminApi = await flow.apiSession(admin);
    const reset = await adminApi.post(`/api/v1/admin/users/${await userId(adminApi, member.email)}/two-factor/reset`, {
      reason: 'lost phone',
    });
    expect(reset.status).toBe(204);

    const { page, cspViolations } = await openAudit(flow, admin);
    await expect.poll(() => shownCount(page)).toMatch(/^Showing \d+ events\.$/);
    // Newest first: this browser's login, then the reset.
    expect((await actions(page)).slice(0, 2)).toEqual(['Logged in', 'Two-factor authentication reset']);
    const login = eventRows(page).first();
    const from = login.getByRole('cell').nth(3);
    expect(await from.textContent()).toBe('127.0.0.1Chrome on Linux');
    expect(await from.getByText('Chrome on Linux').getAttribute('title')).toContain('HeadlessChrome');
    const resetRow = eventRows(page).filter({ hasText: 'Two-factor authentication reset' });
    expect(await resetRow.getByRole('rowheader').textContent()).toContain('By an administrator; reason: lost phone');
    const cells = await resetRow.getByRole('cell').allTextContents();
    expect(cells.slice(1)).toEqual([`${admin.name} ${admin.email}`, `Max Member ${member.email}`, '127.0.0.1node']);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'audit-list');

    await page.getByLabel('Action').selectOption({ label: 'Two-factor authentication reset' });
    await expect.poll(() => shownCount(page)).toBe('Showing 1 event.');
    expect(await actions(page)).toEqual(['Two-factor authentication reset']);

    // The export carries the filters: a plain GET the browser downloads with its cookies.
    const exportLink = page.getByRole('link', { name: 'Export CSV' });
    expect(await exportLink.getAttribute('href')).toBe('/api/v1/admin/audit/export?action=two_factor.reset');
    const [download] = await Promise.all([page.waitForEvent('download'), exportLink.click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csv = fs
      .readFileSync(await download.path(), 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(csv[0]).toBe('time,action,actor_type,actor,target,ip,user_agent,details');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain('two_factor.reset');
    expect(csv[1]).toContain(member.email);
    expect(csv[1]).toContain(admin.email);

    await page.getByLabel('Action').selectOption({ label: 'Logged in' });
    await expect.poll(async () => new Set(await actions(page))).toEqual(new Set(['Logged in']));
    await page.getByLabel('Action').selectOption({ label: 'All actions' });

    // By user: type, pick one of the matches; their events as actor or target only.
    await page.getByRole('searchbox', { name: 'User' }).fill('Olga');
    await page
      .getByRole('list', { name: 'Matching users' })
      .getByRole('button', { name: /Olga Other/ })
      .click();
    await page.getByRole('button', { name: `Clear the user filter (Olga Other <${olga.email}>)` }).waitFor();
    await expect.poll(() => actions(page)).toEqual(['Logged in', 'Account created']);
    expect(await eventRows(page).first().textContent()).toContain(olga.email);
    expect(new URL((await exportLink.getAttribute('href'))!, flow.server.origin).searchParams.get('userId')).toMatch(/.+/);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'audit-user-filter');
    await page.getByRole('button', { name: /Clear the user filter/ }).click();
    await expect.poll(() => shownCount(page)).not.toBe('Showing 1 event.');
    expect(await isFocused(page.getByRole('searchbox', { name: 'User' }))).toBe(true);

    // On a phone the table scrolls sideways inside a region keyboards can reach.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'audit-narrow');
    expect(cspViolations).toEqual([]);
  });

  it('loads older events page by page', async () => {
    const { flow, admin } = server.addInstance('business');
    const adminApi = await flow.apiSession(admin);
    for (let n = 1; n <= 55; n += 1) {
      const invited = await adminApi.post('/api/v1/admin/users', {
        email: `invitee${n}@${flow.instance.slug}.test`,
        name: `Invitee ${n}`,
        role: 'member',
      });
      expect(invited.status).toBe(201);
    }
    const { page } = await openAudit(flow, admin);
    await expect.poll(() => shownCount(page)).toBe('Showing 50 events; more to load.');
    await page.getByRole('button', { name: 'Load more events' }).click();
    await expect.poll(() => shownCount(page)).toMatch(/^Showing 5\d events\.$/);
    expect(await page.getByRole('button', { name: 'Load more events' }).count()).toBe(0);
    const targets = await eventRows(page).locator('td:nth-child(4)').allTextContents();
    expect(targets.filter((target) => target.startsWith('Invitee ')).length).toBe(55);
    // Keyboard and screen-reader users continue at the first event that arrived.
    expect(await page.locator('tbody th:focus').count()).toBe(1);
  });

  it('shows a user their own recent security activity in My Profile', async () => {
    const { flow } = server.addInstance('professional');
    const person = flow.addPerson('member', 'Pat Person');
    const { page, cspViolations } = await flow.freshPage();
    await flow.logIn(page, { ...person, password: 'not the password at all' });
    await page.getByRole('alert').waitFor();
    await flow.logIn(page, person);
    await flow.onProfile(page);

    const activity = page.getByRole('region', { name: 'Recent security activity' });
    const rows = activity.locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.locator('th').allTextContents()).toEqual([
      'Logged inWith password',
      'Failed loginWrong password',
      'Account createdCreated on the server (command line)',
    ]);
    expect(await rows.first().locator('td').nth(1).textContent()).toBe('127.0.0.1Chrome on Linux');
    expect(await rows.first().locator('[title]').getAttribute('title')).toContain('HeadlessChrome');
    expect(await activity.textContent()).not.toContain(' by ');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'audit-own-activity');
    expect(cspViolations).toEqual([]);
  });
});
