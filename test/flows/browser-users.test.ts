import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BrowserFlow, isFocused, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';

const INSTANCE = { slug: 'users', name: 'Users Inc', plan: 'enterprise' };
const ADMIN = { email: 'ada@users.test', name: 'Ada Admin', password: 'analytical engine 1843' };

/** The row of the Users table whose name cell starts with `name`. */
function row(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
}

async function rowNames(page: Page): Promise<string[]> {
  await page
    .getByRole('status')
    .filter({ hasText: /Showing|No users match/ })
    .waitFor();
  return page.locator('tbody th').evaluateAll((cells) => cells.map((cell) => cell.firstChild?.textContent ?? ''));
}

/** Screenshots at 1280 and 375 px (for a person to look at) and axe at both widths. */
async function both(page: Page, name: string): Promise<void> {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await screenshot(page, `${name}-${width}`);
    expect(await seriousAccessibilityViolations(page), `${name} at ${width} px`).toEqual([]);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The list has settled on `names` (it follows the search box after a short pause). */
async function expectRows(page: Page, names: string[]): Promise<void> {
  await expect.poll(() => rowNames(page), { timeout: 10_000 }).toEqual(names);
}

// One server for the file; each test counts users, so each has an instance of its own
// (`keyward instance create`), with people added through the CLI.
describe('the Users tab in the browser', { timeout: 120_000 }, () => {
  let server: BrowserFlow;
  beforeAll(async () => {
    server = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows a shield per user and the counts, filters to pending users, searches by name and sorts', async () => {
    const { flow, admin } = server.addInstance('enterprise');
    const grace = flow.addPerson('member', 'Grace Hopper');
    const alan = flow.addPerson('member', 'Alan Turing');
    flow.addPerson('member', 'Barbara Liskov');
    flow.addPerson('admin', 'Edsger Dijkstra');
    await flow.setUpThroughApi(grace);
    expect((await (await flow.apiSession(alan)).request('PUT', '/api/v1/me/two-factor', { enabled: true })).status).toBe(200);

    const { page, cspViolations } = await flow.settingsAs(admin);
    expect(await page.getByRole('tab', { name: 'Users' }).getAttribute('aria-selected')).toBe('true');
    // By email: admin@…, then person1@… to person4@… in the order they were added.
    await expectRows(page, ['Ida Admin', 'Grace Hopper', 'Alan Turing', 'Barbara Liskov', 'Edsger Dijkstra']);
    expect(await page.locator('.user-counts').textContent()).toBe('Two-factor authentication: 1 active · 1 pending · 3 off');

    expect(await row(page, 'Grace Hopper').getByRole('img').getAttribute('aria-label')).toBe('2FA active');
    expect(await row(page, 'Alan Turing').getByRole('img', { name: '2FA enabled, not set up' }).count()).toBe(1);
    expect(await row(page, 'Barbara Liskov').getByRole('img').count()).toBe(0);
    expect(await row(page, 'Ida Admin').getByRole('img').count()).toBe(0);
    expect(await row(page, 'Edsger Dijkstra').getByRole('cell', { name: 'Administrator' }).count()).toBe(1);
    // Own account: marked, and no Edit (the server refuses changes to it).
    expect(await row(page, 'Ida Admin').getByRole('button').count()).toBe(0);
    expect(await row(page, 'Alan Turing').getByRole('button', { name: 'Edit Alan Turing' }).count()).toBe(1);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-list');

    await page.getByLabel('Two-factor status').selectOption({ label: 'Enabled, not set up' });
    await expectRows(page, ['Alan Turing']);
    await page.getByLabel('Two-factor status').selectOption({ label: 'Active' });
    await expectRows(page, ['Grace Hopper']);
    await page.getByLabel('Two-factor status').selectOption({ label: 'Off' });
    await expectRows(page, ['Ida Admin', 'Barbara Liskov', 'Edsger Dijkstra']);
    await page.getByLabel('Two-factor status').selectOption({ label: 'All' });

    await page.getByRole('searchbox', { name: 'Search' }).fill('barb');
    await expectRows(page, ['Barbara Liskov']);
    await page.getByRole('searchbox', { name: 'Search' }).fill('person2@');
    await expectRows(page, ['Alan Turing']);
    await page.getByRole('searchbox', { name: 'Search' }).fill('nobody');
    await expectRows(page, []);
    await page.getByText('No users match.').waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('');

    await page.getByLabel('Sort by').selectOption({ label: 'Name' });
    await expectRows(page, ['Alan Turing', 'Barbara Liskov', 'Edsger Dijkstra', 'Grace Hopper', 'Ida Admin']);
    // A new instance has only today's counts: no chart yet.
    expect(await page.getByRole('region', { name: '2FA adoption' }).textContent()).toContain('The chart fills in day by day');
    expect(cspViolations).toEqual([]);
  });

  it('draws the adoption chart from the daily counts, with the numbers as a table', async () => {
    const { flow, admin } = server.addInstance('enterprise');
    const { page, cspViolations } = await flow.freshPage();
    // Days of history come from the nightly housekeeping, which a test cannot wait for.
    const days = Array.from({ length: 30 }, (_, index) => {
      const day = new Date(Date.now() - (29 - index) * 86_400_000).toISOString().slice(0, 10);
      return { day, active: index, pending: Math.max(0, 10 - index), off: Math.max(0, 25 - index) };
    });
    await page.route('**/api/v1/admin/two-factor/adoption', (route) => route.fulfill({ json: { days } }));
    await flow.logIn(page, admin);
    await flow.onProfile(page);
    await flow.openSettings(page, admin);

    const chart = page.getByRole('region', { name: '2FA adoption' });
    const image = chart.getByRole('img');
    expect(await image.getAttribute('aria-labelledby')).not.toBeNull();
    expect(await chart.locator('svg title').first().textContent()).toMatch(
      /^Today 29 active, 0 enabled but not set up, 0 off; on .+ 0 active, 10 enabled but not set up, 25 off\.$/,
    );
    await chart.getByText('Show the numbers').click();
    expect(await chart.getByRole('row').count()).toBe(31);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'users-adoption');
    expect(cspViolations).toEqual([]);
  });

  it('loads the next page of a long list, and moves focus to the first user it added', async () => {
    const { flow, admin } = server.addInstance('enterprise');
    flow.importPeople(30, 'Member');
    const { page } = await flow.settingsAs(admin);

    await page.getByRole('status').filter({ hasText: 'Showing 25 of 31 users.' }).waitFor();
    await page.getByRole('button', { name: 'Load more users' }).click();
    await page.getByRole('status').filter({ hasText: 'Showing 31 of 31 users.' }).waitFor();
    expect(await page.getByRole('button', { name: 'Load more users' }).count()).toBe(0);
    const names = await rowNames(page);
    expect(new Set(names).size).toBe(31);
    expect(names[25]).toBe('Member 025');
    expect(await isFocused(page.getByRole('rowheader', { name: 'Member 025' }))).toBe(true);
    expect(await page.locator('.user-counts').textContent()).toBe('Two-factor authentication: 0 active · 0 pending · 31 off');
    // The page position is in the URL: a reload brings back both pages.
    expect(new URL(page.url()).searchParams.get('pages')).toBe('2');
    await page.reload();
    await expect.poll(() => page.locator('p[role=status]').allTextContents(), { timeout: 15_000 }).toContain('Showing 31 of 31 users.');

    // A search counts its matches on the first page only (issue 13); the next page keeps that count.
    await page.getByRole('searchbox', { name: 'Search' }).fill('Member');
    await page.getByRole('status').filter({ hasText: 'Showing 25 of 30 users.' }).waitFor();
    await page.getByRole('button', { name: 'Load more users' }).click();
    await page.getByRole('status').filter({ hasText: 'Showing 30 of 30 users.' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
  });

  it('adds a user, who chooses a password from the invitation link and logs in; disabling them ends that', async () => {
    const { flow, admin } = server.addInstance('professional');
    const { page, cspViolations } = await flow.settingsAs(admin);

    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add user' });
    await dialog.getByLabel('Name').fill('Nina New');
    await dialog.getByLabel('Email').fill(admin.email);
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    // Taken: the server's 409 conflict is shown at the email field.
    await dialog.locator('#email-input-error').waitFor();
    expect(await dialog.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    const email = `nina@${flow.instance.slug}.test`;
    await dialog.getByLabel('Email').fill(email);
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .filter({ hasText: `An invitation is on its way to ${email}.` })
      .waitFor();
    await row(page, 'Nina New').waitFor();
    expect(await isFocused(page.getByRole('button', { name: 'Add user' }))).toBe(true);

    const mail = await flow.waitForMail(email, 'You are invited');
    const link = /https?:\/\/\S+\/invite\?instance=[\w-]+#token=[\w-]+/.exec(mail.text)?.[0];
    expect(link, mail.text).toBeDefined();
    const invited = await flow.freshPage();
    await invited.page.goto(link!);
    // Not a "password reset": the page names the invitation, the account and the instance as it opens.
    await invited.page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    await invited.page.getByText(`Account ${email} on ${flow.instance.name}.`).waitFor();
    expect(new URL(invited.page.url()).hash).toBe('');
    // The effective minimum from POST /auth/password-link: no 2FA, so 15 (item 18).
    await invited.page.getByText('15 to 256 characters.').waitFor();
    await invited.page.getByLabel('Password', { exact: true }).fill('nina new');
    await invited.page.getByLabel('Repeat password').fill('nina new');
    await invited.page.getByRole('button', { name: 'Set password' }).click();
    await invited.page.locator('#link-password-error').waitFor(); // too short for the policy
    const password = 'a lantern over the harbour';
    await invited.page.getByLabel('Password', { exact: true }).fill(password);
    await invited.page.getByLabel('Repeat password').fill(password);
    expect(await seriousAccessibilityViolations(invited.page)).toEqual([]);
    await invited.page.getByRole('button', { name: 'Set password' }).click();
    await invited.page.getByRole('heading', { name: 'Your password is set' }).waitFor();
    await screenshot(invited.page, 'users-invitation-done');
    const nina = { email, name: 'Nina New', password };
    await flow.logIn(invited.page, nina);
    await flow.onProfile(invited.page);
    expect(invited.cspViolations).toEqual([]);

    // The link worked once, and says so as the page opens: no password fields, the account and instance named.
    const again = await flow.freshPage();
    await again.page.goto(link!);
    await again.page.getByRole('alert').filter({ hasText: 'This invitation was already accepted' }).waitFor();
    expect(await again.page.getByLabel('Password', { exact: true }).count()).toBe(0);
    expect(await again.page.locator('.card').textContent()).toContain(`It is for ${email} on ${flow.instance.name}.`);
    expect(await again.page.getByRole('link', { name: `Go to the ${flow.instance.name} login page` }).getAttribute('href')).toBe(
      `${flow.server.origin}/i/${flow.instance.slug}/login`,
    );
    await both(again.page, 'users-invitation-used');

    await row(page, 'Nina New').getByRole('button', { name: 'Edit Nina New' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Nina New' });
    await edit.getByLabel('Role').selectOption({ label: 'Administrator' });
    await edit.getByLabel('Account').selectOption({ label: 'Disabled' });
    await screenshot(page, 'users-edit');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Nina New was saved.' }).waitFor();
    expect(await row(page, 'Nina New').textContent()).toContain('Disabled');
    expect(await row(page, 'Nina New').getByRole('cell', { name: 'Administrator' }).count()).toBe(1);

    await invited.page.reload();
    await invited.page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    // The correct password of a disabled account says so (403 account_disabled); a wrong one does not.
    await flow.logIn(invited.page, { ...nina, password: 'not the password at all' });
    await invited.page.getByRole('alert').filter({ hasText: 'not correct' }).waitFor();
    await flow.logIn(invited.page, nina);
    await invited.page.getByRole('alert').filter({ hasText: 'This account is disabled' }).waitFor();
    await both(invited.page, 'users-login-disabled');
    expect(cspViolations).toEqual([]);
  });

  it('finds a surname or a domain, says how many match, and keeps search, filter and tab in the URL through reload and Back', async () => {
    const { flow, admin } = server.addInstance('enterprise');
    flow.addPerson('member', 'Grace Hopper');
    flow.addPerson('member', 'Alan Turing');
    flow.addPerson('member', 'Barbara Liskov');
    flow.addPerson('member', 'Kathleen Booth-Hopper');
    const { page, cspViolations } = await flow.settingsAs(admin);
    await page.getByRole('status').filter({ hasText: 'Showing 5 of 5 users.' }).waitFor();
    const search = page.getByRole('searchbox', { name: 'Search' });
    // A surname, inside the name.
    await search.fill('hopper');
    await expectRows(page, ['Grace Hopper', 'Kathleen Booth-Hopper']);
    await page.getByRole('status').filter({ hasText: 'Showing 2 of 2 users.' }).waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe('hopper');
    // Reload keeps the search, and the box shows it.
    await page.reload();
    await expectRows(page, ['Grace Hopper', 'Kathleen Booth-Hopper']);
    expect(await search.inputValue()).toBe('hopper');
    // A filter is a step Back undoes.
    await page.getByLabel('Two-factor status').selectOption({ label: 'Active' });
    await expectRows(page, []);
    expect(new URL(page.url()).searchParams.get('twoFactor')).toBe('active');
    await page.goBack();
    await expectRows(page, ['Grace Hopper', 'Kathleen Booth-Hopper']);
    expect(await page.getByLabel('Two-factor status').inputValue()).toBe('');
    // The instance's domain: everyone.
    await search.fill(`${flow.instance.slug}.test`);
    await page.getByRole('status').filter({ hasText: 'Showing 5 of 5 users.' }).waitFor();
    await search.fill('hopper');
    await expectRows(page, ['Grace Hopper', 'Kathleen Booth-Hopper']);
    await both(page, 'users-search');
    // The tab is in the URL too.
    await page.getByRole('tab', { name: 'Audit' }).click();
    expect(new URL(page.url()).searchParams.get('tab')).toBe('audit');
    await page.reload();
    expect(await page.getByRole('tab', { name: 'Audit' }).getAttribute('aria-selected')).toBe('true');
    await page.goBack();
    expect(await page.getByRole('tab', { name: 'Users' }).getAttribute('aria-selected')).toBe('true');
    await expectRows(page, ['Grace Hopper', 'Kathleen Booth-Hopper']);
    expect(cspViolations).toEqual([]);
  });

  it('marks invited users, resends an invitation, edits a name and email, and deletes a user', async () => {
    const { flow, admin } = server.addInstance('professional');
    const mara = flow.addPerson('member', 'Mara Member');
    flow.importPeople(1, 'Waiting');
    const { page, cspViolations } = await flow.settingsAs(admin);
    const waiting = row(page, 'Waiting 001');
    await waiting.waitFor();
    expect(await waiting.textContent()).toContain('Invited');
    expect(await row(page, 'Mara Member').textContent()).not.toContain('Invited');
    expect(
      await row(page, 'Mara Member')
        .getByRole('button', { name: /Resend invitation/ })
        .count(),
    ).toBe(0);
    await flow.waitForMail(`Waiting-001@${flow.instance.slug}.test`, 'You are invited');
    // Sent by the import a moment ago: the server holds a resend back for five minutes.
    await waiting.getByRole('button', { name: 'Resend invitation to Waiting 001' }).click();
    await page.getByRole('alert').filter({ hasText: 'An invitation was sent a moment ago' }).waitFor();
    await both(page, 'users-invited');

    await row(page, 'Mara Member').getByRole('button', { name: 'Edit Mara Member' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Mara Member' });
    // Taken in this instance: 409 email_taken, shown at the field.
    await edit.getByLabel('Email').fill(admin.email);
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.locator('#edit-email-input-error').waitFor();
    expect(await edit.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await both(page, 'users-edit-taken');
    const newEmail = `mara.renamed@${flow.instance.slug}.test`;
    await edit.getByLabel('Name').fill('Mara Renamed');
    await edit.getByLabel('Email').fill(newEmail);
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Mara Renamed was saved.' }).waitFor();
    expect(await row(page, 'Mara Renamed').textContent()).toContain(newEmail);
    await flow.waitForMail(mara.email, 'Your');

    await row(page, 'Mara Renamed').getByRole('button', { name: 'Edit Mara Renamed' }).click();
    await page.getByRole('dialog', { name: 'Edit Mara Renamed' }).getByRole('button', { name: 'Delete user…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete Mara Renamed?' });
    await confirm.waitFor();
    await both(page, 'users-delete');
    await confirm.getByRole('button', { name: 'Delete user' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Mara Renamed (${newEmail}) was deleted` })
      .waitFor();
    await expectRows(page, ['Ida Admin', 'Waiting 001']);
    expect(cspViolations).toEqual([]);
  });

  it('asks the users whose 2FA is off to turn it on, once a day each', async () => {
    const { flow, admin } = server.addInstance('business');
    const off = flow.addPerson();
    await flow.setUpThroughApi(flow.addPerson());
    const { page } = await flow.settingsAs(admin);

    await page.getByRole('button', { name: 'Ask users to enable 2FA' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ask users to enable 2FA' });
    expect(await dialog.textContent()).toContain('2 people have two-factor authentication off.');
    await dialog.getByRole('button', { name: 'Send emails' }).click();
    await page.getByRole('status').filter({ hasText: 'Emailed 2 people whose two-factor authentication is off.' }).waitFor();
    await flow.waitForMail(off.email, 'Please turn on two-factor authentication');

    await page.getByRole('button', { name: 'Ask users to enable 2FA' }).click();
    await dialog.getByRole('button', { name: 'Send emails' }).click();
    await page.getByRole('status').filter({ hasText: 'Nobody was emailed' }).waitFor();
  });
});
