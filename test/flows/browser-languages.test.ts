/**
 * Issue 13: the web UI speaks the browser's language when keyward has it (German here), its error
 * words included, and the person can pick another one on the login page and in the user menu; the
 * choice is kept. Long German words must fit a phone's width.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { BrowserFlow, screenshot, seriousAccessibilityViolations } from '../support/browser.ts';

const ADMIN = { email: 'ada@sprachen.test', name: 'Ada Admin', password: 'analytical engine 1843' };
const INSTANCE = { slug: 'sprachen', name: 'Sprachschule Müller', plan: 'business' };
const WIDTHS = [1280, 375];

/** axe clean, nothing wider than the window, and a screenshot, at a desktop's and a phone's width. */
async function checkAtEveryWidth(page: Page, name: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    expect(await seriousAccessibilityViolations(page), `${name} at ${width}px`).toEqual([]);
    // A string, as browser-first-hour's: the root tsconfig has no DOM types.
    const widths = await page.evaluate<{ scroll: number; inner: number }>(
      '({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth })',
    );
    expect(widths.scroll, `${name} at ${width}px is wider than the window`).toBeLessThanOrEqual(widths.inner);
    await screenshot(page, `languages-${name}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

function htmlLang(page: Page): Promise<string | null> {
  return page.locator('html').getAttribute('lang');
}

describe('the web UI in the browser’s language', { timeout: 120_000 }, () => {
  let flow: BrowserFlow;
  beforeAll(async () => {
    flow = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await flow?.stop();
  });

  it('speaks German to a German browser through login, code and profile, and English once picked', async () => {
    const person = flow.addPerson('member', 'Greta Gärtner');
    const authenticator = await flow.setUpThroughApi(person);
    const { page, cspViolations } = await flow.freshPage({ locale: 'de-DE' });

    await page.goto(`${flow.server.origin}/login?instance=${INSTANCE.slug}`);
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    expect(await htmlLang(page)).toBe('de');
    expect(await page.title()).toBe('Anmelden · keyward');
    expect(await page.getByLabel('Sprache').inputValue()).toBe('de');
    await checkAtEveryWidth(page, 'login-de');

    // The server's refusal in the catalogue's German words (401 invalid_credentials).
    await page.getByLabel('E-Mail').fill(person.email);
    await page.getByLabel('Passwort').fill('not the password at all');
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Die E-Mail-Adresse oder das Passwort ist nicht korrekt.' }).waitFor();

    await page.getByLabel('Passwort').fill(person.password);
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.getByRole('heading', { name: 'Zwei-Faktor-Authentifizierung' }).waitFor();
    await page.getByRole('button', { name: 'Ich habe mein Gerät nicht dabei' }).click();
    await page.getByRole('checkbox', { name: 'Stattdessen einen Backup-Code verwenden' }).waitFor();
    await checkAtEveryWidth(page, 'code-de');
    await page.getByRole('button', { name: 'Ich habe mein Gerät nicht dabei' }).click();

    // A wrong code: the field's refusal in German too (invalid_credentials, field code).
    await page.getByLabel('Bestätigungscode').fill(authenticator.wrongCode());
    await page.getByRole('button', { name: 'Prüfen' }).click();
    await page.getByRole('alert').filter({ hasText: 'Dieser Code ist nicht gültig.' }).waitFor();
    await page.getByLabel('Bestätigungscode').fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Prüfen' }).click();

    await page.waitForURL(`${flow.server.origin}/profile`);
    await page.getByRole('heading', { name: 'Mein Profil' }).waitFor();
    expect(await page.title()).toBe('Mein Profil · keyward');
    await page.getByRole('tab', { name: 'Allgemein' }).waitFor();
    await page.getByRole('switch', { name: 'Zwei-Faktor-Authentifizierung' }).waitFor();
    expect(await page.getByText('Aktiv – eine Authenticator-App ist eingerichtet').count()).toBe(1);
    // The activity table: German words and a German date ("2. Dez." rather than "Dec 2").
    const activity = page.getByRole('region', { name: 'Aktivität' });
    await activity.getByRole('rowheader').filter({ hasText: 'Angemeldet' }).first().waitFor();
    const shown = await activity.locator('time').first().textContent();
    const expected = await page.evaluate(() => new Intl.DateTimeFormat('de-DE', { month: 'short' }).format(new Date()));
    expect(shown).toContain(expected);
    await checkAtEveryWidth(page, 'profile-de');
    await page.getByRole('tab', { name: 'Sitzungen' }).click();
    await page.getByRole('button', { name: 'Alle anderen Sitzungen beenden' }).or(page.getByText('Kein anderer Browser')).first().waitFor();
    await checkAtEveryWidth(page, 'sessions-de');
    await page.getByRole('tab', { name: 'Allgemein' }).click();

    // The user menu offers English, in English; picking it turns the page English at once.
    await page.getByRole('button', { name: person.name }).click();
    await page.getByRole('menuitem', { name: 'Mein Profil' }).waitFor();
    expect(await page.getByRole('menuitem', { name: 'English' }).getAttribute('lang')).toBe('en');
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'My Profile' }).waitFor();
    expect(await htmlLang(page)).toBe('en');
    expect(await page.title()).toBe('My Profile · keyward');
    await page.getByRole('tab', { name: 'General Options' }).waitFor();
    expect(await page.getByText('Active — an authenticator app is set up').count()).toBe(1);

    // The choice is kept over the browser's German, after a reload too.
    await page.reload();
    await page.getByRole('heading', { name: 'My Profile' }).waitFor();
    expect(await page.evaluate<string | null>("localStorage.getItem('keyward:language')")).toBe('en');

    // Logged out, the login page's picker turns it back to German.
    await flow.logOut(page, person);
    expect(await page.getByLabel('Language').inputValue()).toBe('en');
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    expect(await htmlLang(page)).toBe('de');
    expect(await page.getByLabel('Sprache').inputValue()).toBe('de');
    expect(cspViolations).toEqual([]);
  });

  it('speaks English to a browser whose languages keyward does not have', async () => {
    const { page } = await flow.freshPage({ locale: 'fr-FR' });
    await page.goto(`${flow.server.origin}/login?instance=${INSTANCE.slug}`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await htmlLang(page)).toBe('en');
    expect(await page.getByLabel('Language').inputValue()).toBe('en');
  });
});
