import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser as Chromium } from 'playwright-core';
import * as oidc from 'openid-client';
import type { FastifyInstance } from 'fastify';
import { launchBrowser, screenshot, seriousAccessibilityViolations, watchCspViolations } from '../support/browser.ts';
import { useTestDeps, givenInstance, givenUser, PASSWORD, type TestDeps } from '../support/deps.ts';
import { testApp } from '../support/app.ts';
import { freePort } from '../support/server-process.ts';
import { givenOidcClient, givenUserWithApp } from '../support/oidc.ts';
import { engines } from '../support/db.ts';
import { oathtool } from '../support/oathtool.ts';
import type { Instance } from '../../src/domain/instance/instance.ts';

const WEB_DIR = path.resolve('web/dist');

// An application's sign-in in Chromium: the authorization request, keyward's login page of the
// instance (no instance field), a code from the app, and back at the relying party's redirect URI,
// a loopback listener of this test. The server is the app over real deps with the built web UI.
describe.each(engines())('Signing in to an application through keyward in the browser on %s', { timeout: 90_000 }, (engine) => {
  let deps: TestDeps;
  let app: FastifyInstance;
  let chromium: Chromium;
  let origin: string;
  let rp: { server: http.Server; origin: string; hits: URL[] };
  useTestDeps(engine, (context) => (deps = context.deps));

  const clientOf = (instance: Instance) => givenOidcClient(deps, instance, { name: 'Web app', redirectUris: [`${rp.origin}/callback`] });

  beforeAll(async () => {
    const hits: URL[] = [];
    const server = http.createServer((request, response) => {
      hits.push(new URL(request.url ?? '/', 'http://rp.invalid'));
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><html lang="en"><title>Signed in</title><h1>Back in the application</h1></html>');
    });
    const rpPort = await freePort();
    await new Promise<void>((resolve) => server.listen(rpPort, '127.0.0.1', resolve));
    rp = { server, origin: `http://127.0.0.1:${rpPort}`, hits };
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    app = await testApp(deps, {
      publicUrl: new URL(`${origin}/`),
      webDir: WEB_DIR,
    });
    await app.listen({ port, host: '127.0.0.1' });
    chromium = await launchBrowser();
  });
  afterAll(async () => {
    await chromium?.close();
    await app?.close();
    await new Promise((resolve) => rp?.server.close(resolve));
  });

  /** A member with an authenticator app (set up over the API), its secret. */
  const memberWithApp = (instance: Instance) => givenUserWithApp(origin, deps, instance);

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 375, height: 740 },
  ]) {
    it(`signs in at ${viewport.width} px: login page of the instance, a code, back at the redirect URI with a code that says mfa`, async () => {
      const { instance } = await givenInstance(deps);
      const { user, secret } = await memberWithApp(instance);
      const client = await clientOf(instance);
      const config = await oidc.discovery(
        new URL(`${origin}/i/${instance.slug}`),
        client.client_id,
        undefined,
        oidc.ClientSecretBasic(client.client_secret!),
        {
          execute: [oidc.allowInsecureRequests],
        },
      );
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const authorization = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirect_uris[0]!,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });

      const context = await chromium.newContext({ viewport });
      onTestFinished(() => context.close());
      const page = await context.newPage();
      const cspViolations = watchCspViolations(page);
      await page.goto(authorization.href);
      await page.waitForURL((url) => url.pathname === `/i/${instance.slug}/login` && url.searchParams.has('interaction'));
      await page.getByRole('heading', { name: `Log in to ${instance.name}` }).waitFor();
      expect(await page.getByLabel('Instance').count()).toBe(0);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await screenshot(page, `oidc-login-${engine}-${viewport.width}`);

      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((url) => url.searchParams.get('step') === 'verify' && url.searchParams.has('interaction'));
      await page.getByLabel(/code/i).first().fill(oathtool(secret, deps.clock.now()));
      await screenshot(page, `oidc-verify-${engine}-${viewport.width}`);
      await page.getByRole('button', { name: 'Verify' }).click();

      await page.waitForURL((url) => url.origin === rp.origin);
      await page.getByRole('heading', { name: 'Back in the application' }).waitFor();
      const callback = new URL(page.url());
      expect(callback.pathname).toBe('/callback');
      expect(callback.searchParams.get('state')).toBe(state);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
      expect(tokens.claims()).toMatchObject({ sub: user.id, acr: 'urn:keyward:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
      expect(cspViolations).toEqual([]);
      deps.clock.advanceSeconds(30);
    });
  }

  it('keeps /login working and fills in the instance this browser last used', async () => {
    const { instance } = await givenInstance(deps);
    const user = await givenUser(deps, instance);
    const context = await chromium.newContext();
    onTestFinished(() => context.close());
    const page = await context.newPage();
    await page.goto(`${origin}/i/${instance.slug}/login`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${origin}/profile`);
    await page.evaluate(() => fetch('/api/v1/auth/logout', { method: 'POST' }));
    await page.goto(`${origin}/login`);
    expect(await page.getByLabel('Instance').inputValue()).toBe(instance.slug);
  });
});
