import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Authenticator, BrowserFlow, isFocused, screenshot, seriousAccessibilityViolations, type Person } from '../support/browser.ts';
import { HttpClient } from '../support/http-client.ts';

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

/** Where each filter (action, user, from, to) sits: their label tops and boxes. */
async function filterBoxes(page: Page): Promise<Array<{ x: number; y: number; width: number; right: number }>> {
  return page.locator('.audit-filters > *').evaluateAll((fields) =>
    fields.map((field) => {
      const box = field.getBoundingClientRect();
      return { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), right: Math.round(box.right) };
    }),
  );
}

/**
 * The filter row is tidy (issue 13): at 1280 px the four filters on one line, tops aligned, inside
 * the page; at 375 px one under the other, each the full width.
 */
async function expectTidyFilters(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 900 });
  const wide = await filterBoxes(page);
  expect(wide).toHaveLength(4);
  expect(new Set(wide.map((box) => box.y)).size, JSON.stringify(wide)).toBe(1);
  expect(Math.max(...wide.map((box) => box.right))).toBeLessThanOrEqual(1280);
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'audit-filters-1280');
  await page.setViewportSize({ width: 375, height: 900 });
  const narrow = await filterBoxes(page);
  expect(new Set(narrow.map((box) => box.x)).size, JSON.stringify(narrow)).toBe(1);
  expect(new Set(narrow.map((box) => box.width)).size, JSON.stringify(narrow)).toBe(1);
  expect(narrow.every((box, index) => index === 0 || box.y > narrow[index - 1]!.y)).toBe(true);
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
  await screenshot(page, 'audit-filters-375');
  await page.setViewportSize({ width: 1280, height: 900 });
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
    await expectTidyFilters(page);
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

    // On a phone each event is a card (issue 13), inside a region keyboards can reach.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'audit-narrow');
    expect(cspViolations).toEqual([]);
  });

  it('shows what a policy change changed, filters by a date range and picks a support operator for the user filter', async () => {
    const { flow, admin } = server.addInstance('enterprise');
    const lost = flow.addPerson('admin', 'Lea Lost');
    await flow.setUpThroughApi(lost);
    const adminApi = await flow.apiSession(admin);
    const saved = await adminApi.request('PUT', '/api/v1/admin/password-policy', { password: { minLength: 14, historyCount: 3 } });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);

    // A support operator resets Lea through the API (first login: set up an app, then the reset).
    const operator = server.addOperator('Sam Support');
    const support = new HttpClient(flow.server.origin);
    expect((await support.post('/api/v1/support/login', { email: operator.email, password: operator.password })).json).toMatchObject({
      next: 'setup',
    });
    const app = new Authenticator((await support.post('/api/v1/auth/setup')).json.secret);
    expect((await support.post('/api/v1/auth/setup/confirm', { code: await app.nextCode() })).json).toEqual({ next: 'done' });
    const leaId = await userId(adminApi, lost.email);
    const reset = await support.post(`/api/v1/support/instances/${flow.instance.slug}/users/${leaId}/two-factor/reset`, {
      verification: { method: 'video_call', reference: 'TICKET-7' },
    });
    expect(reset.status, JSON.stringify(reset.json)).toBe(204);

    const { page, cspViolations } = await openAudit(flow, admin);
    const policyRow = eventRows(page).filter({ hasText: 'Password policy changed' });
    expect(await policyRow.getByRole('rowheader').textContent()).toContain('Minimum length: 12 → 14 · Previous passwords refused: 0 → 3');

    // Support operators are no users of the instance: their name in the table picks them.
    await page.getByRole('button', { name: 'Show only the events of Sam Support <' + operator.email + '> (support)' }).click();
    await page.getByRole('button', { name: /^Clear the user filter \(Sam Support/ }).waitFor();
    await expect.poll(() => actions(page)).toEqual(['Two-factor authentication reset']);
    const href = new URL((await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'))!, flow.server.origin);
    expect(href.searchParams.get('userId')).toMatch(/.+/);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'audit-operator-filter');
    await page.getByRole('button', { name: /^Clear the user filter/ }).click();

    // The date range: days of this browser, "To" included; a range from tomorrow finds nothing.
    const day = (offset: number) =>
      page.evaluate((days) => {
        const at = new Date();
        at.setDate(at.getDate() + days);
        return `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
      }, offset);
    await page.getByLabel('From', { exact: true }).fill(await day(0));
    await page.getByLabel('To', { exact: true }).fill(await day(0));
    await expect.poll(() => shownCount(page)).toMatch(/^Showing \d+ events\.$/);
    expect(await actions(page)).toContain('Password policy changed');
    const exported = new URL((await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'))!, flow.server.origin);
    expect(Date.parse(exported.searchParams.get('to')!) - Date.parse(exported.searchParams.get('from')!)).toBeGreaterThanOrEqual(
      23 * 3600_000,
    );
    await page.getByLabel('From', { exact: true }).fill(await day(1));
    await page.getByLabel('To', { exact: true }).fill(await day(2));
    await expect.poll(() => shownCount(page)).toMatch(/^No events match/);
    await page.getByLabel('To', { exact: true }).fill(await day(0));
    expect(await page.getByLabel('To', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `audit-date-range-${width}`);
    }
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
