import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { engines } from '../support/db.ts';
import { givenInstance, PUBLIC_URL, uniqueSlug, useTestDeps, type TestDeps } from '../support/deps.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { createOidcRegistry } from '../../src/http/oidc/provider-registry.ts';
import { relativeUrl } from '../../src/http/oidc/oidc.routes.ts';

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
});
