/**
 * Forward auth in Chromium through real nginx (issue 14): an application behind nginx's
 * auth_request on its own host name (`*.test`, resolved to 127.0.0.1 by Chromium's host
 * resolver rules), keyward's login page of the instance with a code, and back at the page asked
 * for, with the user's identity in what the application received; `/admin` (an mfa rule) from
 * a password-only session asks for a code first; `/.keyward/logout` ends it.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser as Chromium, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { launchBrowser, screenshot, seriousAccessibilityViolations, watchCspViolations } from '../support/browser.ts';
import { useTestDeps, givenInstance, PASSWORD, type TestDeps } from '../support/deps.ts';
import { testApp } from '../support/app.ts';
import { freePort } from '../support/server-process.ts';
import { givenUserWithApp } from '../support/oidc.ts';
import { engines } from '../support/db.ts';
import { oathtool } from '../support/oathtool.ts';
import { nginxInstalled, startEcho, startNginx, type EchoApp, type EchoedRequest, type Proxy } from '../support/proxies.ts';
import { createProtectedApp } from '../../src/domain/forward-auth/manage-protected-apps.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

const WEB_DIR = path.resolve('web/dist');

if (process.env.CI === 'true' && !nginxInstalled()) throw new Error('CI=true but nginx is missing: .ci/run installs it');

describe.skipIf(!nginxInstalled()).each(engines())(
  'An application behind nginx and keyward in the browser on %s',
  { timeout: 90_000 },
  (engine) => {
    let deps: TestDeps;
    let app: FastifyInstance;
    let chromium: Chromium;
    let origin: string;
    let echo: EchoApp;
    let nginx: Proxy;
    useTestDeps(engine, (context) => (deps = context.deps));

    beforeAll(async () => {
      const port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      app = await testApp(deps, { publicUrl: new URL(`${origin}/`), webDir: WEB_DIR, trustProxy: ['127.0.0.1'] });
      await app.listen({ port, host: '127.0.0.1' });
      echo = await startEcho();
      nginx = await startNginx({ keywardPort: port, appPort: echo.port });
      chromium = await launchBrowser(['--host-resolver-rules=MAP *.test 127.0.0.1']);
    });
    afterAll(async () => {
      await chromium?.close();
      await nginx?.stop();
      await echo?.stop();
      await app?.close();
    });

    /** A protected application of `instance` with 2FA on /admin, on a host of its own behind nginx. */
    async function dashboardOf(instance: Instance): Promise<string> {
      const host = `dashboard-${randomBytes(4).toString('hex')}.test:${nginx.port}`;
      await createProtectedApp(
        deps,
        { instanceId: instance.id, actor: { type: 'cli', id: null, label: 'CLI: test' }, client: { ip: null, userAgent: null } },
        { name: 'Dashboard', hosts: [host], rules: [{ prefix: '/admin', require: 'mfa' }] },
      );
      return `http://${host}`;
    }

    /** What the application received for the page now shown (the echo's JSON). */
    async function received(page: Page): Promise<EchoedRequest> {
      return JSON.parse((await page.locator('body').textContent()) ?? '') as EchoedRequest;
    }

    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 375, height: 740 },
    ]) {
      it(`signs in at ${viewport.width} px through the application's host, with a code for /admin, and logs out`, async () => {
        const { instance } = await givenInstance(deps);
        const { user, secret } = await givenUserWithApp(origin, deps, instance);
        const dashboard = await dashboardOf(instance);
        const context = await chromium.newContext({ viewport });
        onTestFinished(() => context.close());
        const page = await context.newPage();
        const cspViolations = watchCspViolations(page);

        await page.goto(`${dashboard}/reports?year=2026`);
        await page.waitForURL((url) => url.origin === origin && url.pathname === `/i/${instance.slug}/login`);
        await page.getByRole('heading', { name: `Log in to ${instance.name}` }).waitFor();
        expect(await seriousAccessibilityViolations(page)).toEqual([]);
        await screenshot(page, `forward-auth-login-${engine}-${viewport.width}`);
        await page.getByLabel('Email').fill(user.email);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL((url) => url.searchParams.get('step') === 'verify');
        await page.getByLabel(/code/i).first().fill(oathtool(secret, deps.clock.now()));
        deps.clock.advanceSeconds(30);
        await page.getByRole('button', { name: 'Verify' }).click();

        // Back at the page asked for, on the application's host, which received the user's identity.
        await page.waitForURL(`${dashboard}/reports?year=2026`);
        const seen = await received(page);
        expect(seen.headers).toMatchObject({ 'remote-user': user.id, 'remote-email': user.email, 'remote-amr': 'pwd,otp,mfa' });
        const cookies = await context.cookies();
        const forward = cookies.find((cookie) => cookie.name === 'keyward_fa');
        // Host-only, HttpOnly, on the application's host.
        expect(forward).toMatchObject({ domain: new URL(dashboard).hostname, httpOnly: true, sameSite: 'Lax', path: '/' });
        // This session has its code: /admin opens at once.
        await page.goto(`${dashboard}/admin/`);
        expect((await received(page)).url).toBe('/admin/');

        await page.goto(`${dashboard}/.keyward/logout`);
        await page.waitForURL((url) => url.origin === origin && url.pathname === `/i/${instance.slug}/login`);
        await page.goto(`${dashboard}/admin/`);
        await page.waitForURL((url) => url.origin === origin && url.pathname === `/i/${instance.slug}/login`);
        expect(cspViolations).toEqual([]);
      });
    }

    it('asks a known location’s password-only session for a code before /admin, and returns there', async () => {
      const { instance } = await givenInstance(deps);
      const { user, secret } = await givenUserWithApp(origin, deps, instance);
      const dashboard = await dashboardOf(instance);
      const context = await chromium.newContext();
      onTestFinished(() => context.close());
      const page = await context.newPage();

      // First visit: password and code, which makes this browser a known location.
      await page.goto(`${dashboard}/`);
      await page.waitForURL((url) => url.origin === origin);
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((url) => url.searchParams.get('step') === 'verify');
      await page.getByLabel(/code/i).first().fill(oathtool(secret, deps.clock.now()));
      deps.clock.advanceSeconds(30);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForURL(`${dashboard}/`);
      await page.goto(`${dashboard}/.keyward/logout`);
      await page.waitForURL((url) => url.origin === origin);

      // Again from the known location: the password alone lets it into pages without a rule…
      await page.goto(`${dashboard}/`);
      await page.waitForURL((url) => url.origin === origin);
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${dashboard}/`);
      expect((await received(page)).headers['remote-amr']).toBe('pwd');

      // …and /admin asks for a code, then shows /admin.
      await page.goto(`${dashboard}/admin/users`);
      await page.waitForURL((url) => url.origin === origin && url.searchParams.get('step') === 'step_up');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `forward-auth-step-up-${engine}`);
      await page.getByLabel(/code/i).first().fill(oathtool(secret, deps.clock.now()));
      deps.clock.advanceSeconds(30);
      await page
        .getByRole('button', { name: /verify|confirm|continue/i })
        .first()
        .click();
      await page.waitForURL(`${dashboard}/admin/users`);
      expect((await received(page)).headers['remote-amr']).toBe('pwd,otp,mfa');
    });
  },
);
