import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContextOptions, Page } from 'playwright-core';
import {
  Authenticator,
  BrowserFlow,
  screenshot,
  seriousAccessibilityViolations,
  watchCspViolations,
  type Person,
} from '../support/browser.ts';
import { HttpClient } from '../support/http-client.ts';

const INSTANCE = { slug: 'firsthour', name: 'First Hour Ltd', plan: 'enterprise' };
const ADMIN = { email: 'ada@firsthour.test', name: 'Ada Admin', password: 'analytical engine 1843' };
const SESSION_ENDED = 'Your session has ended. Log in again to continue.';
/** 200 characters, most of them one unbroken word: the worst case for a table column. */
const LONG_NAME = `Maximiliane ${'Wolfeschlegelsteinhausenbergerdorff'.repeat(5)}`.padEnd(200, 'x');

/** No sideways scrolling: the page is no wider than the window (issue 13). */
async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const widths = await page.evaluate<{ scroll: number; inner: number }>(
    '({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth })',
  );
  expect(widths.scroll, JSON.stringify(widths)).toBeLessThanOrEqual(widths.inner);
}

/** The element is inside the window horizontally (a row's status or action a phone can see). */
async function expectOnScreen(page: Page, locator: ReturnType<Page['locator']>): Promise<void> {
  const box = await locator.boundingBox();
  const width = page.viewportSize()!.width;
  expect(box, 'visible').not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(width);
}

async function atBothWidths(page: Page, name: string, check: () => Promise<void>): Promise<void> {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await check();
    await expectNoHorizontalScroll(page);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, `first-hour-${name}-${width}`);
  }
}

// Issue 13, "What people hit in their first hour": phones and long text, sessions and
// navigation, readable times, dark mode. One server for the file; each test adds its own people.
describe('the first hour in the browser: navigation, sessions, phones, times and dark mode', { timeout: 180_000 }, () => {
  let flow: BrowserFlow;
  beforeAll(async () => {
    flow = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await flow?.stop();
  });

  async function page(options: BrowserContextOptions = {}): Promise<{ page: Page; cspViolations: string[] }> {
    const context = await flow.browser.newContext(options);
    const opened = await context.newPage();
    const cspViolations = watchCspViolations(opened);
    return { page: opened, cspViolations };
  }

  async function fillLogin(on: Page, person: Person): Promise<void> {
    await on.getByLabel('Instance').fill(INSTANCE.slug);
    await on.getByLabel('Email').fill(person.email);
    await on.getByLabel('Password').fill(person.password);
    await on.getByRole('button', { name: 'Log in', exact: true }).click();
  }

  it('keeps a deep link through the login, and no ?next= leads anywhere else', async () => {
    const person = flow.addPerson();
    const { page: tab, cspViolations } = await page();
    await tab.goto(`${flow.server.origin}/profile/password`);
    await tab.waitForURL(`${flow.server.origin}/login?next=%2Fprofile%2Fpassword`);
    await fillLogin(tab, person);
    await tab.getByRole('heading', { name: 'Change password' }).waitFor();
    expect(new URL(tab.url()).pathname).toBe('/profile/password');

    for (const hostile of ['//evil.test/profile', '/\\evil.test/profile', 'javascript:alert(1)', 'https://evil.test/settings']) {
      const { page: other } = await page();
      await other.goto(`${flow.server.origin}/login?next=${encodeURIComponent(hostile)}`);
      await fillLogin(other, person);
      await other.waitForURL(`${flow.server.origin}/profile`);
      await other.context().close();
    }
    expect(cspViolations).toEqual([]);
  });

  it('shows the login page with one notice when the session ends in another tab or by an administrator', async () => {
    const person = flow.addPerson();
    const { page: first } = await page();
    await flow.logIn(first, person);
    await flow.onProfile(first);
    const second = await first.context().newPage();
    await second.goto(`${flow.server.origin}/profile`);
    await second.getByRole('heading', { name: 'My Profile' }).waitFor();

    // Logged out in the first tab: the second hears of it and shows the login page.
    await flow.logOut(first, person);
    await second.getByRole('status').filter({ hasText: SESSION_ENDED }).waitFor();
    await second.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    expect(new URL(second.url()).pathname).toBe('/login');
    expect(await second.getByRole('button', { name: person.name }).count()).toBe(0);
    expect(await second.getByText('Log in first.').count()).toBe(0);
    await atBothWidths(second, 'session-ended', async () => {});

    // An administrator ends every session: the next request of the open page finds it gone.
    await flow.logIn(first, person);
    await flow.onProfile(first);
    const admin = await flow.apiSession(ADMIN);
    const users = (await admin.request('GET', `/api/v1/admin/users?q=${encodeURIComponent(person.email)}`)).json.users;
    expect((await admin.request('DELETE', `/api/v1/admin/users/${users[0].id}/sessions`)).status).toBe(200);
    await first.getByRole('tab', { name: 'Sessions' }).click();
    await first.getByRole('status').filter({ hasText: SESSION_ENDED }).waitFor();
    expect(await first.getByRole('button', { name: person.name }).count()).toBe(0);
    expect(await first.getByText('Log in first.').count()).toBe(0);
    // Logging in again goes back to the page that was open.
    await fillLogin(first, person);
    await flow.onProfile(first);
  });

  it('takes a user at an enforced setup back to the setup from any other page', async () => {
    const { flow: enforced, admin } = flow.addInstance('enterprise');
    const member = enforced.addPerson();
    const client = await enforced.apiSession(admin);
    const saved = await client.request('PUT', '/api/v1/admin/password-policy', { twoFactor: { autoEnable: true, enforceSetup: true } });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);
    const { page: tab } = await page();
    await enforced.logIn(tab, member);
    await tab.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    for (const path of ['/profile', '/settings', '/login', '/']) {
      await tab.goto(`${enforced.server.origin}${path}`);
      await tab.waitForURL(`${enforced.server.origin}/login?step=setup`);
      await tab.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    }
  });

  it('shows the app’s "Page not found" for unknown pages, while unknown API paths stay JSON', async () => {
    const { page: tab, cspViolations } = await page();
    const answer = await tab.goto(`${flow.server.origin}/no/such/page`);
    expect(answer!.status()).toBe(404);
    await tab.getByRole('heading', { name: 'Page not found' }).waitFor();
    await atBothWidths(tab, 'not-found', async () => {});
    const belowLogin = await tab.goto(`${flow.server.origin}/login/no-such-step`);
    expect(belowLogin!.status()).toBe(404);
    await tab.getByRole('heading', { name: 'Page not found' }).waitFor();
    await atBothWidths(tab, 'not-found-below-login', async () => {});

    const api = await new HttpClient(flow.server.origin).request('GET', '/api/v1/no/such/thing');
    expect(api.status).toBe(404);
    expect(api.json.error.code).toBe('not_found');
    const apiAsBrowser = await tab.request.get(`${flow.server.origin}/api/v1/no/such/thing`, { headers: { accept: 'text/html' } });
    expect(apiAsBrowser.status()).toBe(404);
    expect((await apiAsBrowser.json()).error.code).toBe('not_found');

    await flow.logIn(tab, ADMIN);
    await flow.onProfile(tab);
    // Below the app's pages too, signed in or not: the page and its status agree.
    for (const below of ['/settings/nothing-here/at-all', '/profile/nothing', '/nothing-here']) {
      const answered = await tab.goto(`${flow.server.origin}${below}`);
      expect(answered!.status(), below).toBe(404);
      await tab.getByRole('heading', { name: 'Page not found' }).waitFor();
    }
    // The page can show before the session is read; the signed-in shell (its avatar) follows.
    await tab.getByRole('button', { name: ADMIN.name }).waitFor();
    expect(await tab.getByRole('button', { name: ADMIN.name }).count()).toBe(1);
    expect(cspViolations).toEqual([]);
  });

  it('keeps rows readable at 375 px with a 200-character name: Users, Audit, My Profile activity and sessions', async () => {
    const long = flow.addPerson('member', LONG_NAME);
    expect(LONG_NAME).toHaveLength(200);
    const { page: tab, cspViolations } = await page({ timezoneId: 'Europe/Berlin', locale: 'en-GB' });
    await flow.logIn(tab, ADMIN);
    await flow.onProfile(tab);
    await flow.openSettings(tab, ADMIN);
    const row = tab.getByRole('row').filter({ has: tab.getByRole('rowheader', { name: LONG_NAME }) });
    await atBothWidths(tab, 'users', async () => {
      await row.waitFor();
      await expectOnScreen(tab, row.getByRole('button', { name: `Edit ${LONG_NAME}` }));
      await expectOnScreen(tab, row.getByRole('cell', { name: 'Member', exact: true }));
      // The email keeps to whole lines: at most two, never a letter per line.
      const lines = await row.getByText(long.email).evaluate((cell) => {
        // Runs in the page: the lines the email's text takes, counted by their tops.
        const range = cell.ownerDocument.createRange();
        range.selectNodeContents(cell);
        return new Set(Array.from(range.getClientRects(), (rect: { top: number }) => Math.round(rect.top))).size;
      });
      expect(lines).toBeLessThanOrEqual(2);
    });

    await tab.getByRole('tab', { name: 'Audit' }).click();
    const created = tab.getByRole('row').filter({ hasText: LONG_NAME }).first();
    await atBothWidths(tab, 'audit', async () => {
      await created.waitFor();
      await expectOnScreen(tab, created.getByRole('rowheader'));
      // Times name their zone; this year's leave the year out ("2 Dec, 01:05 CET").
      expect(await created.locator('time').first().textContent()).toMatch(/^\d{1,2} [A-Z][a-z]{2}, \d{2}:\d{2} CET$/);
    });

    const { page: own } = await page({ timezoneId: 'Europe/Berlin', locale: 'en-GB' });
    await flow.logIn(own, long);
    await flow.onProfile(own);
    await atBothWidths(own, 'activity', async () => {
      await own.getByRole('table', { name: /recent security activity/ }).waitFor();
    });
    await own.getByRole('tab', { name: 'Sessions' }).click();
    const current = own.getByRole('row').filter({ hasText: 'This browser' });
    await atBothWidths(own, 'sessions', async () => {
      await current.waitFor();
      await expectOnScreen(own, current.getByRole('button', { name: /^Log out/ }));
      expect(await current.textContent()).toMatch(/Since \d{1,2} [A-Z][a-z]{2}, \d{2}:\d{2} CET/);
    });
    expect(cspViolations).toEqual([]);
  });

  it('keeps the support console readable at 375 px with a 200-character administrator name', async () => {
    const { flow: hosted } = flow.addInstance('enterprise');
    const long = hosted.addPerson('admin', LONG_NAME);
    await hosted.setUpThroughApi(long);
    const operator = flow.addOperator();
    const { page: tab, cspViolations } = await page();
    // The operator's first login through this browser's own cookies: password, then an app.
    const post = (path: string, data?: object) =>
      tab.request.post(`${flow.server.origin}/api/v1${path}`, { data: data ?? {}, headers: { origin: flow.server.origin } });
    expect((await (await post('/support/login', { email: operator.email, password: operator.password })).json()).next).toBe('setup');
    const app = new Authenticator((await (await post('/auth/setup')).json()).secret);
    expect(await (await post('/auth/setup/confirm', { code: await app.nextCode() })).json()).toEqual({ next: 'done' });

    await tab.goto(`${flow.server.origin}/support?instance=${hosted.instance.slug}`);
    const row = tab.getByRole('row').filter({ has: tab.getByRole('rowheader', { name: new RegExp(`^${LONG_NAME}`) }) });
    await atBothWidths(tab, 'support', async () => {
      await row.waitFor();
      await expectOnScreen(tab, row.getByRole('button', { name: `Reset 2FA for ${LONG_NAME}` }));
      await expectOnScreen(tab, row.getByRole('img', { name: '2FA active' }));
    });
    expect(cspViolations).toEqual([]);
  });

  it('follows a dark system setting, axe-clean, in the app and on the provider’s own pages', async () => {
    const { page: tab, cspViolations } = await page({ colorScheme: 'dark' });
    const background = () => tab.evaluate('getComputedStyle(document.body).backgroundColor');
    await tab.goto(`${flow.server.origin}/login?instance=${INSTANCE.slug}`);
    await atBothWidths(tab, 'dark-login', async () => {
      await tab.getByRole('button', { name: 'Log in', exact: true }).waitFor();
      expect(await background()).toBe('rgb(15, 20, 27)');
    });
    await flow.logIn(tab, ADMIN);
    await flow.onProfile(tab);
    await atBothWidths(tab, 'dark-profile', async () => {});
    await flow.openSettings(tab, ADMIN);
    await atBothWidths(tab, 'dark-users', async () => {
      await tab.getByRole('rowheader', { name: ADMIN.name }).waitFor();
    });
    await tab.getByRole('tab', { name: 'Security' }).click();
    await atBothWidths(tab, 'dark-security', async () => {});
    await tab.getByRole('tab', { name: 'Audit' }).click();
    await atBothWidths(tab, 'dark-audit', async () => {
      await tab.getByRole('table', { name: /Audit events/ }).waitFor();
    });

    // The provider's error page (an authorization request without its parameters).
    await tab.goto(`${flow.server.origin}/i/${INSTANCE.slug}/auth`);
    await tab.locator('main').waitFor();
    await atBothWidths(tab, 'dark-provider', async () => {
      expect(await background()).toBe('rgb(15, 20, 27)');
    });
    expect(cspViolations).toEqual([]);
  });
});
