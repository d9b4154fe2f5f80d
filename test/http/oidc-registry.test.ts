import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import pino from 'pino';
import { engines } from '../support/db.ts';
import { givenInstance, PUBLIC_URL, uniqueSlug, useTestDeps, type TestDeps } from '../support/deps.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createOidcRegistry } from '../../src/http/oidc/provider-registry.ts';
import { relativeUrl } from '../../src/http/oidc/oidc.routes.ts';
import { givenOidcClient } from '../support/oidc.ts';

describe.each(engines())('the provider registry on %s', (engine) => {
  let database: DatabaseHandle;
  let deps: TestDeps;
  useTestDeps(engine, (t) => ({ database, deps } = t));

  const registry = (maxProviders: number) =>
    createOidcRegistry(deps, { publicUrl: new URL(PUBLIC_URL), log: pino({ level: 'silent' }), maxProviders });

  it('keeps at most its bound of providers and rebuilds an evicted one with the same issuer and keys', async () => {
    const [{ instance: a }, { instance: b }] = await Promise.all([givenInstance(deps), givenInstance(deps)]);
    const providers = registry(1);
    const first = (await providers.forSlug(a.slug))!;
    expect(first.issuer).toBe(`${PUBLIC_URL}/i/${a.slug}`);
    expect((await providers.forSlug(a.slug))!).toBe(first);
    expect((await providers.forSlug(b.slug))!.instance.id).toBe(b.id);
    expect(providers.size).toBe(1);
    const rebuilt = (await providers.forSlug(a.slug))!;
    expect(rebuilt).not.toBe(first);
    expect([rebuilt.issuer, rebuilt.instance.id]).toEqual([first.issuer, a.id]);
  });

  it('forgets a slug that names no instance any more, and never serves a slug that now names another instance with the old provider', async () => {
    const [{ instance: gone }, { instance: renamed }] = await Promise.all([givenInstance(deps), givenInstance(deps)]);
    const providers = registry(10);
    expect(await providers.forSlug(gone.slug)).not.toBeNull();
    const old = (await providers.forSlug(renamed.slug))!;
    // Instances are not deleted (their audit trail stays); a slug that names none is the same case.
    await database.db.updateTable('instances').set({ slug: uniqueSlug() }).where('id', '=', gone.id).execute();
    expect(await providers.forSlug(gone.slug)).toBeNull();
    // The slug moves to a new instance (renames are not offered yet; the registry must not care).
    await database.db.updateTable('instances').set({ slug: uniqueSlug() }).where('id', '=', renamed.id).execute();
    const { instance: newcomer } = await givenInstance(deps);
    await database.db.updateTable('instances').set({ slug: renamed.slug }).where('id', '=', newcomer.id).execute();
    const now = (await providers.forSlug(renamed.slug))!;
    expect(now).not.toBe(old);
    expect(now.instance.id).toBe(newcomer.id);
  });

  it('mounts only URLs that begin with the issuer path as a whole segment', () => {
    expect(relativeUrl('/i/acme/.well-known/openid-configuration', '/i/acme')).toBe('/.well-known/openid-configuration');
    expect(relativeUrl('/i/acme', '/i/acme')).toBe('/');
    expect(relativeUrl('/i/acme?x=1', '/i/acme')).toBe('/?x=1');
    expect(relativeUrl('/i/acme-corp/token', '/i/acme')).toBeNull();
    expect(relativeUrl('/i/%61cme/token', '/i/acme')).toBeNull();
  });

  /** A loopback listener standing in for a relying party's back-channel logout endpoint. */
  async function listener() {
    const received: string[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push(body);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel`, received };
  }

  // Why: an administrator registers the back-channel URI; a keyward on a public address must not
  // be made to POST to its own machine or network (OWASP ASVS 5.0 V1.3.6, SSRF). The library's
  // guard refuses special-use addresses; keyward lifts it only for a loopback target when keyward
  // itself is on loopback (development, tests: provider-configuration.ts outgoingFetch).
  it('sends a back-channel logout token to a loopback relying party only when keyward itself is on loopback', async () => {
    const { instance } = await givenInstance(deps);
    const rp = await listener();
    const client = await givenOidcClient(deps, instance, { backchannelLogoutUri: rp.uri });
    const delivery = { clientId: client.client_id, sub: 'some-user', sid: 'some-sid' };
    const on = (publicUrl: string) => createOidcRegistry(deps, { publicUrl: new URL(publicUrl), log: pino({ level: 'silent' }) });

    const publicOne = (await on('https://keyward.example.test/').forSlug(instance.slug))!;
    const refused = await publicOne.sendBackchannelLogout(delivery).then(
      () => null,
      (error: Error & { cause?: Error }) => `${error.message} ${error.cause?.message ?? ''}`,
    );
    expect(refused).toMatch(/special-use IP address/);
    expect(rp.received).toEqual([]);

    const local = (await on('http://127.0.0.1:3000/').forSlug(instance.slug))!;
    expect(await local.sendBackchannelLogout(delivery)).toBe(true);
    expect(rp.received).toHaveLength(1);
    expect(new URLSearchParams(rp.received[0]).get('logout_token')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
