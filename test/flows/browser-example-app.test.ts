import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser as Chromium, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { launchBrowser, screenshot, seriousAccessibilityViolations, setupKeyFromPage, watchCspViolations } from '../support/browser.ts';
import { useTestDeps, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { testApp } from '../support/app.ts';
import { freePort } from '../support/server-process.ts';
import { givenOidcClient, givenUserWithApp } from '../support/oidc.ts';
import { startExampleApp, type ExampleApp } from '../support/example-app.ts';
import { engines } from '../support/db.ts';
import { oathtool } from '../support/oathtool.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';
import type { User } from '../../src/domain/account/user.ts';

const WEB_DIR = path.resolve('web/dist');
const ACR_MFA = 'urn:keyward:acr:mfa';
const ACR_PWD = 'urn:keyward:acr:pwd';

// issue 12: the example application of examples/oidc-app (openid-client, a relying party of its
// own process) signs a user in through keyward in Chromium. The admin registers it in Settings →
// Applications; the user clicks its sign-in button, logs in on the instance's login page with a
// code from oathtool, and is back in the application with an ID token that says mfa; its Sign out
// ends the keyward session too (RP-initiated logout). keyward is the app over real deps with the
// built web UI, so codes follow the test's clock.
describe.each(engines())('The example application signs in through keyward in the browser on %s', { timeout: 120_000 }, (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  let chromium: Chromium;
  let origin: string;
  useTestDeps(engine, (context) => (deps = context.deps));

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    app = await testApp(deps, { publicUrl: new URL(`${origin}/`), webDir: WEB_DIR });
    await app.listen({ port, host: '127.0.0.1' });
    chromium = await launchBrowser();
  });
  afterAll(async () => {
    await chromium?.close();
    await app?.close();
  });

  /** A code of the authenticator app at the test's clock; the clock then moves a step on (each step counts once). */
  function code(secret: string): string {
    const value = oathtool(secret, deps.clock.now());
    deps.clock.advanceSeconds(30);
    return value;
  }

  const memberWithApp = (instance: Instance, existing?: User) => givenUserWithApp(origin, deps, instance, existing ? { existing } : {});

  async function example(instance: Instance, client: { clientId: string; clientSecret: string | null }, port: number): Promise<ExampleApp> {
    const started = await startExampleApp({ issuer: `${origin}/i/${instance.slug}`, port, ...client });
    onTestFinished(() => started.stop());
    return started;
  }

  async function freshPage() {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
    onTestFinished(() => context.close());
    const page = await context.newPage();
    return { context, page, cspViolations: watchCspViolations(page) };
  }

  /** The page at 1280 and at 375 px, for a person to look at (back at 1280 afterwards). */
  async function shots(page: Page, name: string) {
    await screenshot(page, `example-${name}-${engine}-1280`);
    await page.setViewportSize({ width: 375, height: 740 });
    await screenshot(page, `example-${name}-${engine}-375`);
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  const claim = (page: Page, name: string) => page.locator(`[data-claim="${name}"]`).textContent();

  async function signIn(page: Page, rp: ExampleApp, instance: Instance) {
    await page.goto(`${rp.origin}/`);
    await page.getByRole('link', { name: 'Sign in with keyward' }).click();
    await page.waitForURL((url) => url.origin === origin && url.pathname === `/i/${instance.slug}/login`);
    await page.getByRole('heading', { name: `Log in to ${instance.name}` }).waitFor();
  }

  async function password(page: Page, email: string) {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  async function backInTheApp(page: Page, rp: ExampleApp) {
    await page.waitForURL(`${rp.origin}/me`);
    await page.getByRole('heading', { name: /^Hello, / }).waitFor();
  }

  it('is registered in Settings → Applications, signs a user in with a code (mfa), and its Sign out ends the keyward session', async () => {
    const { instance, admin } = await givenInstance(deps);
    const { user, secret } = await memberWithApp(instance);
    const rpPort = await freePort();

    // The administrator adds the application with the example's redirect and post-logout URIs.
    const settings = await freshPage();
    await settings.page.goto(`${origin}/i/${instance.slug}/login`);
    await password(settings.page, admin.email);
    await settings.page.waitForURL(`${origin}/profile`);
    await settings.page.getByRole('button', { name: admin.name }).click();
    await settings.page.getByRole('menuitem', { name: 'Settings' }).click();
    await settings.page.getByRole('tab', { name: 'Applications' }).click();
    await settings.page.getByRole('button', { name: 'Add application' }).click();
    const add = settings.page.getByRole('dialog', { name: 'Add application' });
    await add.getByLabel('Name', { exact: true }).fill('Example app');
    await add.getByLabel('Redirect URIs', { exact: true }).fill(`http://127.0.0.1:${rpPort}/callback`);
    await add.getByLabel('Post-logout redirect URIs').fill(`http://127.0.0.1:${rpPort}/`);
    await add.getByRole('button', { name: 'Add application' }).click();
    const added = settings.page.getByRole('dialog', { name: 'Example app was added' });
    await added.getByText('shown only this once').waitFor();
    const clientId = (await added.locator('code').nth(0).textContent())!;
    const clientSecret = (await added.locator('code').nth(1).textContent())!;
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rp = await example(instance, { clientId, clientSecret }, rpPort);

    // The user: the application's button, keyward's login page of the instance, a code, back.
    const { context, page, cspViolations } = await freshPage();
    await page.goto(`${rp.origin}/`);
    await page.getByRole('link', { name: 'Sign in with keyward' }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await shots(page, 'home');
    await signIn(page, rp, instance);
    expect(await page.getByLabel('Instance').count()).toBe(0);
    await shots(page, 'keyward-login');
    await password(page, user.email);
    await page.waitForURL((url) => url.origin === origin && url.searchParams.get('step') === 'verify');
    await page.getByLabel(/code/i).first().fill(code(secret));
    await shots(page, 'keyward-verify');
    await page.getByRole('button', { name: 'Verify' }).click();
    await backInTheApp(page, rp);
    expect(await claim(page, 'acr')).toBe(ACR_MFA);
    expect(await claim(page, 'amr')).toBe('pwd, otp, mfa');
    expect(await claim(page, 'email')).toBe(user.email);
    expect(await claim(page, 'name')).toBe(user.name);
    expect(await claim(page, 'sub')).toBe(user.id);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await shots(page, 'me-mfa');
    const me = await context.request.get(`${origin}/api/v1/me`);
    expect(me.status()).toBe(200);

    // Sign out in the application: RP-initiated logout at keyward, then back at the application.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.origin === origin && url.pathname.startsWith(`/i/${instance.slug}/session/end`));
    await shots(page, 'keyward-logout');
    // keyward's own page, styled by its stylesheet (a file: the CSP allows no inline style), and accessible.
    await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
    expect(await page.evaluate("getComputedStyle(document.querySelector('main')).backgroundColor")).toBe('rgb(255, 255, 255)');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${rp.origin}/`, { timeout: 10_000 }).catch((error: Error) => {
      throw new Error(`${error.message}\nat ${page.url()}\nCSP: ${cspViolations.join('\n')}`);
    });
    await page.getByRole('link', { name: 'Sign in with keyward' }).waitFor();
    // keyward's session ended too: this browser is no longer signed in to keyward.
    expect((await context.request.get(`${origin}/api/v1/me`)).status()).toBe(401);
    expect(cspViolations).toEqual([]);
  });

  it('a known location’s password-only sign-in says pwd; "Require a code" asks acr_values mfa and keyward asks for a code first', async () => {
    const { instance } = await givenInstance(deps);
    const { user, secret } = await memberWithApp(instance);
    const rpPort = await freePort();
    const client = await givenOidcClient(deps, instance, { name: 'Example app', redirectUris: [`http://127.0.0.1:${rpPort}/callback`] });
    const rp = await example(instance, { clientId: client.client_id, clientSecret: client.client_secret }, rpPort);
    const { page, cspViolations } = await freshPage();
    // This browser logs in to keyward once with a code (a known location from then on), and out.
    await page.goto(`${origin}/i/${instance.slug}/login`);
    await password(page, user.email);
    await page.getByLabel(/code/i).first().fill(code(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${origin}/profile`);
    expect(await page.evaluate(() => fetch('/api/v1/auth/logout', { method: 'POST' }).then((answer) => answer.status))).toBe(204);

    await signIn(page, rp, instance);
    await password(page, user.email);
    await backInTheApp(page, rp);
    expect(await claim(page, 'acr')).toBe(ACR_PWD);
    expect(await claim(page, 'amr')).toBe('pwd');
    await shots(page, 'me-pwd');
    await page.getByRole('link', { name: 'Require a code' }).click();
    await page.waitForURL((url) => url.origin === origin && url.searchParams.get('step') === 'step_up');
    await page.getByLabel(/code/i).first().fill(code(secret));
    await shots(page, 'keyward-step-up');
    await page.getByRole('button', { name: /Verify|Confirm|Continue/ }).click();
    await backInTheApp(page, rp);
    expect(await claim(page, 'acr')).toBe(ACR_MFA);
    expect(await claim(page, 'amr')).toBe('pwd, otp, mfa');
    expect(await page.getByRole('link', { name: 'Require a code' }).count()).toBe(0);
    expect(cspViolations).toEqual([]);
  });

  it('an instance that enforces 2FA: a user without an app sets one up inside the sign-in and is back in the application with mfa', async () => {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    const { twoFactor } = instance.policy;
    await deps.stores.instances.updatePolicy(instance.id, {
      ...instance.policy,
      twoFactor: { ...twoFactor, autoEnable: true, enforceSetup: true },
    });
    const rpPort = await freePort();
    const client = await givenOidcClient(deps, instance, {
      name: 'Example app',
      redirectUris: [`http://127.0.0.1:${rpPort}/callback`],
      postLogoutRedirectUris: [`http://127.0.0.1:${rpPort}/`],
    });
    const rp = await example(instance, { clientId: client.client_id, clientSecret: client.client_secret }, rpPort);

    const { page, cspViolations } = await freshPage();
    await signIn(page, rp, instance);
    await password(page, user.email);
    await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    await page.getByText('Your organisation requires two-factor authentication').waitFor();
    expect(new URL(page.url()).searchParams.has('interaction')).toBe(true);
    expect(await page.getByRole('button', { name: 'Postpone' }).count()).toBe(0);
    await shots(page, 'keyward-enforced-setup');
    const key = await setupKeyFromPage(page);
    await page.getByLabel('Verification code').fill(code(key));
    await page.getByRole('button', { name: 'Verify' }).click();
    await backInTheApp(page, rp);
    expect(await claim(page, 'acr')).toBe(ACR_MFA);
    expect(await claim(page, 'amr')).toBe('pwd, otp, mfa');
    expect(cspViolations).toEqual([]);
  });

  it('an administrator’s reset of the user’s app signs the user out of the application (back-channel logout)', async () => {
    const { instance, admin } = await givenInstance(deps);
    const { user, secret } = await memberWithApp(instance);
    // Resetting someone's app takes an administrator with an app, and a fresh code (SPEC rule 12).
    const { secret: adminSecret, browser: adminApi } = await memberWithApp(instance, admin);
    const rpPort = await freePort();
    const client = await givenOidcClient(deps, instance, {
      name: 'Example app',
      redirectUris: [`http://127.0.0.1:${rpPort}/callback`],
      postLogoutRedirectUris: [`http://127.0.0.1:${rpPort}/`],
      backchannelLogoutUri: `http://127.0.0.1:${rpPort}/backchannel-logout`,
    });
    const rp = await example(instance, { clientId: client.client_id, clientSecret: client.client_secret }, rpPort);

    const { page } = await freshPage();
    await signIn(page, rp, instance);
    await password(page, user.email);
    await page.getByLabel(/code/i).first().fill(code(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await backInTheApp(page, rp);
    expect(await claim(page, 'acr')).toBe(ACR_MFA);

    expect((await adminApi.api('/auth/step-up', { code: code(adminSecret) })).status).toBe(204);
    expect((await adminApi.api(`/admin/users/${user.id}/two-factor/reset`, {})).status).toBe(204);
    // The logout token goes out through the queue's worker (main.ts runs it; here it is drained).
    expect(await app.oidcBackchannel.drain()).toBe(1);
    await page.goto(`${rp.origin}/me`);
    await page.waitForURL(`${rp.origin}/`);
    await page.getByRole('link', { name: 'Sign in with keyward' }).waitFor();
  });
});
