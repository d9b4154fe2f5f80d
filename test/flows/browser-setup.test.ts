import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { launchBrowser, screenshot, seriousAccessibilityViolations, watchCspViolations } from '../support/browser.ts';

// First-run setup is about an empty database, so each test starts its own server.
describe('first-run setup in the browser', { timeout: 60_000 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A server with no instance; `freshDataDir`: on nothing at all, as a first `npm start` (initdb and every migration). */
  async function freshServer(options: { freshDataDir?: boolean } = {}): Promise<ServerProcess & { setupLink: string }> {
    const server = await startServer({}, options);
    onTestFinished(() => server.stop());
    expect(server.setupLink).toMatch(new RegExp(`^${server.origin}/setup#token=[\\w-]+$`));
    return server as ServerProcess & { setupLink: string };
  }

  async function freshPage() {
    const context = await browser.newContext();
    onTestFinished(() => context.close());
    const page = await context.newPage();
    return { page, cspViolations: watchCspViolations(page) };
  }

  it('creates the first instance from the printed link, lands on My Profile, and refuses the link afterwards', async () => {
    const server = await freshServer({ freshDataDir: true });
    const { page, cspViolations } = await freshPage();

    await page.goto(server.setupLink);
    await page.getByRole('heading', { name: 'Set up keyward' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');

    await page.getByLabel('Instance name').fill('Acme Robotics');
    expect(await page.getByLabel('Instance slug').inputValue()).toBe('acme-robotics');
    await page.getByLabel('Plan').selectOption('enterprise');
    await page.getByLabel('Your name').fill('Ada Admin');
    await page.getByLabel('Email').fill('ada@acme.test');
    await page.getByLabel('Password').fill('analytical engine 1843');
    await screenshot(page, 'setup-form');
    await page.getByRole('button', { name: 'Create instance' }).click();

    await page.waitForURL(`${server.origin}/profile`);
    await page.getByRole('heading', { name: 'My Profile' }).waitFor();
    await page.getByRole('button', { name: 'Ada Admin' }).waitFor();
    const panel = page.getByRole('tabpanel', { name: 'General Options' });
    expect(await panel.textContent()).toContain('Acme Robotics');
    await screenshot(page, 'setup-profile');

    await page.goto(server.setupLink);
    await page.getByRole('heading', { name: 'keyward is already set up' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    expect(cspViolations).toEqual([]);
  });

  it('refuses a setup link whose token is not the printed one', async () => {
    const server = await freshServer();
    const { page, cspViolations } = await freshPage();

    await page.goto(`${server.origin}/setup#token=not-the-printed-token`);
    await page.getByLabel('Instance name').fill('Mallory Inc');
    await page.getByLabel('Your name').fill('Mallory');
    await page.getByLabel('Email').fill('mallory@evil.test');
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Create instance' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('no longer valid');
    expect(new URL(page.url()).pathname).toBe('/setup');
    const setup = await fetch(`${server.origin}/api/v1/setup`).then((response) => response.json());
    expect(setup).toEqual({ open: true });
    expect(cspViolations).toEqual([]);
  });

  it('has no serious accessibility violations on the setup and login pages', async () => {
    const server = await freshServer();
    const { page, cspViolations } = await freshPage();

    await page.goto(server.setupLink);
    await page.getByRole('button', { name: 'Create instance' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    await page.goto(`${server.origin}/login`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
