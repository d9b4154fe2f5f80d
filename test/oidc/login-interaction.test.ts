import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { engines } from '../support/db.ts';
import { deliveredTo, givenInstance, givenUser } from '../support/deps.ts';
import { Browser, useOidcServer, type OidcServer } from '../support/oidc.ts';
import { ACR_MFA, ACR_PWD, relyingParties } from '../support/relying-party.ts';

// openid-client, a relying party nobody here wrote, against the real server; the login itself
// goes through keyward's JSON API with the browser's cookies, as the SPA drives it
// (test/support/relying-party.ts).
describe.each(engines())('The login interaction and its claims on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  const { authorize, passwordLogin, userWithApp, toLoginPage, resume } = relyingParties(() => server);

  it('signs in with password and code: code + PKCE + state + nonce, an ID token verified against the JWKS that says mfa', async () => {
    const { instance } = await givenInstance(server.deps);
    const { user, code } = await userWithApp(instance);
    const browser = new Browser(server.origin);
    const request = await authorize(instance);
    const { uid } = await toLoginPage(browser, instance, request.url, request.redirectUri);
    expect((await passwordLogin(browser, instance, user)).json).toMatchObject({ next: 'verify' });
    expect((await browser.api('/auth/verify', { code: code() })).json).toEqual({ next: 'done' });
    const back = await resume(browser, instance, uid, request.redirectUri);
    expect(back.callback).toBeDefined();
    const { tokens, claims, config } = await request.finish(back.callback!);
    expect(claims).toMatchObject({
      iss: server.issuer(instance.slug),
      sub: user.id,
      email: user.email,
      name: user.name,
      acr: ACR_MFA,
      amr: ['pwd', 'otp', 'mfa'],
      'https://keyward/claims/role': 'member',
      'https://keyward/claims/instance': instance.slug,
    });
    expect(typeof claims.auth_time).toBe('number');
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(userinfo).toMatchObject({ sub: user.id, email: user.email, name: user.name, 'https://keyward/claims/role': 'member' });
  });

  it('a login with the emailed backup code says mfa without otp (RFC 8176: no one-time-password generator)', async () => {
    const { instance } = await givenInstance(server.deps);
    const { user } = await userWithApp(instance);
    const mail = (await deliveredTo(server.deps, user.email)).map((m) => /^Backup code: ([0-9A-Z-]{19})$/m.exec(m.text)?.[1]).find(Boolean);
    expect(mail).toBeDefined();
    const browser = new Browser(server.origin);
    const request = await authorize(instance);
    const { uid } = await toLoginPage(browser, instance, request.url, request.redirectUri);
    expect((await passwordLogin(browser, instance, user)).json).toMatchObject({ next: 'verify' });
    expect((await browser.api('/auth/verify', { backupCode: mail })).json).toEqual({ next: 'done' });
    const back = await resume(browser, instance, uid, request.redirectUri);
    const { claims } = await request.finish(back.callback!);
    expect([claims.acr, claims.amr]).toEqual([ACR_MFA, ['pwd', 'mfa']]);
  });

  it('a known location’s password-only session says pwd; acr_values=mfa makes it present a code first, then says mfa', async () => {
    const { instance } = await givenInstance(server.deps);
    const { user, browser, code } = await userWithApp(instance);
    // This browser confirmed a code at this location (the app's setup): its next login is a password only.
    await browser.api('/auth/logout');
    expect((await passwordLogin(browser, instance, user)).json).toEqual({ next: 'done' });

    const plain = await authorize(instance);
    const direct = await browser.follow(plain.url, plain.redirectUri);
    const pwd = (await plain.finish(direct.callback!)).claims;
    expect([pwd.acr, pwd.amr]).toEqual([ACR_PWD, ['pwd']]);

    const strict = await authorize(instance, { acr_values: ACR_MFA });
    const { uid, step } = await toLoginPage(browser, instance, strict.url, strict.redirectUri);
    expect(step).toBe('step_up');
    // Until the code, the interaction sends the browser back to the login page.
    expect((await resume(browser, instance, uid, strict.redirectUri)).login?.searchParams.get('step')).toBe('step_up');
    expect((await browser.api('/auth/step-up', { code: code() })).status).toBe(204);
    const back = await resume(browser, instance, uid, strict.redirectUri);
    const mfa = (await strict.finish(back.callback!)).claims;
    expect([mfa.acr, mfa.amr, mfa.sub]).toEqual([ACR_MFA, ['pwd', 'otp', 'mfa'], user.id]);
    // The step-up proved a factor; the login is still the one of before (auth_time).
    expect(mfa.auth_time).toBe(pwd.auth_time);
  });

  it('a client registered with default_acr_values mfa asks a password-only session for a code; acr_values naming pwd overrides it', async () => {
    const { instance } = await givenInstance(server.deps);
    const { user, browser } = await userWithApp(instance);
    await browser.api('/auth/logout');
    expect((await passwordLogin(browser, instance, user)).json).toEqual({ next: 'done' });
    const strict = await authorize(instance, {}, true);
    expect((await toLoginPage(browser, instance, strict.url, strict.redirectUri)).step).toBe('step_up');
    const lenient = await authorize(instance, { acr_values: `${ACR_PWD} ${ACR_MFA}` }, true);
    const back = await browser.follow(lenient.url, lenient.redirectUri);
    expect((await lenient.finish(back.callback!)).claims.acr).toBe(ACR_PWD);
  });

  it('an instance that enforces 2FA asks a password-only session for a code even without acr_values', async () => {
    const { instance } = await givenInstance(server.deps);
    const { user, browser } = await userWithApp(instance);
    await browser.api('/auth/logout');
    expect((await passwordLogin(browser, instance, user)).json).toEqual({ next: 'done' });
    const { twoFactor } = instance.policy;
    await server.deps.stores.instances.updatePolicy(instance.id, {
      ...instance.policy,
      twoFactor: { ...twoFactor, autoEnable: true, enforceSetup: true },
    });
    const request = await authorize(instance);
    expect((await toLoginPage(browser, instance, request.url, request.redirectUri)).step).toBe('step_up');
  });

  it('acr_values=mfa for a user without an app ends at the redirect URI with unmet_authentication_requirements', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const browser = new Browser(server.origin);
    await passwordLogin(browser, instance, user);
    const request = await authorize(instance, { acr_values: ACR_MFA });
    const back = await browser.follow(request.url, request.redirectUri);
    expect(back.callback?.searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('max_age and prompt=login ask for a new password step; an older login does not pass', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const browser = new Browser(server.origin);
    await passwordLogin(browser, instance, user);
    server.deps.clock.advanceSeconds(120);

    const young = await authorize(instance, { max_age: '300' });
    expect((await browser.follow(young.url, young.redirectUri)).callback?.searchParams.get('code')).toBeTruthy();

    for (const params of [{ max_age: '60' }, { prompt: 'login' }] as Array<Record<string, string>>) {
      const request = await authorize(instance, params);
      const { uid } = await toLoginPage(browser, instance, request.url, request.redirectUri);
      // The session that was there does not settle it.
      expect((await resume(browser, instance, uid, request.redirectUri)).login, JSON.stringify(params)).toBeDefined();
      server.deps.clock.advanceSeconds(5);
      const loggedInAt = Math.floor(server.deps.clock.now().getTime() / 1000);
      expect((await passwordLogin(browser, instance, user)).json).toEqual({ next: 'done' });
      const back = await resume(browser, instance, uid, request.redirectUri);
      const { claims } = await request.finish(back.callback!);
      expect(claims.auth_time, JSON.stringify(params)).toBe(loggedInAt);
      server.deps.clock.advanceSeconds(120);
    }
  });

  it('prompt=none answers without interaction with a session, login_required without one or after keyward’s logout', async () => {
    const { instance } = await givenInstance(server.deps);
    const user = await givenUser(server.deps, instance);
    const browser = new Browser(server.origin);

    const anonymous = await authorize(instance, { prompt: 'none' });
    const refused = await browser.follow(anonymous.url, anonymous.redirectUri);
    expect(refused.callback?.searchParams.get('error')).toBe('login_required');

    await passwordLogin(browser, instance, user);
    const silent = await authorize(instance, { prompt: 'none' });
    const answered = await browser.follow(silent.url, silent.redirectUri);
    expect((await silent.finish(answered.callback!)).claims.sub).toBe(user.id);

    // The provider's session still exists; the keyward session of record does not.
    expect(browser.has('_session')).toBe(true);
    await browser.api('/auth/logout');
    const after = await authorize(instance, { prompt: 'none' });
    expect((await browser.follow(after.url, after.redirectUri)).callback?.searchParams.get('error')).toBe('login_required');

    // A password-only session and acr mfa: the code would need an interaction.
    await passwordLogin(browser, instance, user);
    const strict = await authorize(instance, { prompt: 'none', acr_values: ACR_MFA });
    expect((await browser.follow(strict.url, strict.redirectUri)).callback?.searchParams.get('error')).toBe('interaction_required');
  });

  it('follows the keyward session to another user: the provider’s session of the first is not used', async () => {
    const { instance } = await givenInstance(server.deps);
    const [first, second] = [await givenUser(server.deps, instance), await givenUser(server.deps, instance)];
    const browser = new Browser(server.origin);
    await passwordLogin(browser, instance, first);
    const one = await authorize(instance);
    expect((await one.finish((await browser.follow(one.url, one.redirectUri)).callback!)).claims.sub).toBe(first.id);
    await browser.api('/auth/logout');
    await passwordLogin(browser, instance, second);
    for (const params of [{ prompt: 'none' }, {}] as Array<Record<string, string>>) {
      const two = await authorize(instance, params);
      const back = await browser.follow(two.url, two.redirectUri);
      expect((await two.finish(back.callback!)).claims.sub, JSON.stringify(params)).toBe(second.id);
    }
    // Logged out, then in as the first again through the login page: the interaction's provider session of the second ends.
    await browser.api('/auth/logout');
    const three = await authorize(instance);
    const { uid } = await toLoginPage(browser, instance, three.url, three.redirectUri);
    await passwordLogin(browser, instance, first);
    const back = await resume(browser, instance, uid, three.redirectUri);
    expect((await three.finish(back.callback!)).claims.sub).toBe(first.id);
  });

  it('does not use a session of another instance, and answers a foreign interaction address with its expired page', async () => {
    const [{ instance }, { instance: other }] = await Promise.all([givenInstance(server.deps), givenInstance(server.deps)]);
    const stranger = await givenUser(server.deps, other);
    const browser = new Browser(server.origin);
    expect((await passwordLogin(browser, other, stranger)).json).toEqual({ next: 'done' });
    const request = await authorize(instance);
    const { uid } = await toLoginPage(browser, instance, request.url, request.redirectUri);
    expect((await resume(browser, instance, uid, request.redirectUri)).login).toBeDefined();
    const silent = await authorize(instance, { prompt: 'none' });
    expect((await browser.follow(silent.url, silent.redirectUri)).callback?.searchParams.get('error')).toBe('login_required');
    // Another browser (no interaction cookie), or another uid: no sign-in continues.
    const elsewhere = await new Browser(server.origin).fetch(`/i/${instance.slug}/interaction/${uid}`);
    expect(elsewhere.status).toBe(400);
    expect((await browser.fetch(`/i/${instance.slug}/interaction/not-this-one`)).status).toBe(400);
  });
});
