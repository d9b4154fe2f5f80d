import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { engines } from '../support/db.ts';
import { givenInstance } from '../support/deps.ts';
import { useOidcServer, type OidcServer } from '../support/oidc.ts';
import { runOperation } from '../../src/cli/operations.ts';
import { loadSigningKeys, RETIRED_KEY_PUBLISHED_SECONDS } from '../../src/domain/oidc/signing-keys.ts';
import { PROVIDER_REFRESH_SECONDS } from '../../src/http/oidc/provider-registry.ts';
import type { PrivateJwk } from '../../src/crypto/signing-key.ts';

/** `keyward oidc rotate-keys SLUG` (its operation, as the CLI and the control socket run it). */
describe.each(engines())('OpenID Connect key rotation on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  const jwks = async (slug: string) => (await (await fetch(`${server.issuer(slug)}/jwks`)).json()) as JSONWebKeySet;
  const sign = async (key: PrivateJwk, issuer: string) =>
    new SignJWT({ sub: 'u1' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(await importJWK(key, key.alg));
  const verifies = async (token: string, slug: string) =>
    jwtVerify(token, createLocalJWKSet(await jwks(slug)), { issuer: server.issuer(slug), currentDate: server.deps.clock.now() }).then(
      () => true,
      () => false,
    );

  it('signs with new keys and still verifies what the old ones signed during the overlap, then drops them', async () => {
    const { instance } = await givenInstance(server.deps);
    const issuer = server.issuer(instance.slug);
    const before = (await jwks(instance.slug)).keys.map((key) => key.kid);
    const old = await loadSigningKeys(server.deps, instance.id);
    const oldTokens = await Promise.all(old.map((key) => sign(key, issuer)));

    const rotation = (await runOperation(server.deps, { op: 'oidc.rotate-keys', input: { instanceSlug: instance.slug } })) as {
      signing: Array<{ kid: string; alg: string }>;
      retired: number;
    };
    expect(rotation.retired).toBe(2);
    expect(rotation.signing.map((key) => key.alg)).toEqual(['ES256', 'RS256']);
    // The running provider takes the new keys at its next refresh.
    server.deps.clock.advanceSeconds(PROVIDER_REFRESH_SECONDS + 1);
    const published = (await jwks(instance.slug)).keys.map((key) => key.kid);
    // The signing keys first (the library signs with the first key of an algorithm), the old after.
    expect(published.slice(0, 2)).toEqual(rotation.signing.map((key) => key.kid));
    expect(published.slice(2).sort()).toEqual([...before].sort());
    for (const token of oldTokens) expect(await verifies(token, instance.slug)).toBe(true);
    const fresh = (await loadSigningKeys(server.deps, instance.id)).slice(0, 2);
    expect(fresh.map((key) => key.kid)).toEqual(rotation.signing.map((key) => key.kid));
    for (const key of fresh) expect(await verifies(await sign(key, issuer), instance.slug)).toBe(true);

    server.deps.clock.advanceSeconds(RETIRED_KEY_PUBLISHED_SECONDS);
    expect((await jwks(instance.slug)).keys.map((key) => key.kid)).toEqual(rotation.signing.map((key) => key.kid));
  });

  it('refuses an unknown instance with not_found and rotates no other instance’s keys', async () => {
    const { instance: other } = await givenInstance(server.deps);
    const before = (await jwks(other.slug)).keys.map((key) => key.kid);
    await expect(runOperation(server.deps, { op: 'oidc.rotate-keys', input: { instanceSlug: 'no-such-instance' } })).rejects.toMatchObject({
      code: 'not_found',
    });
    const { instance } = await givenInstance(server.deps);
    await runOperation(server.deps, { op: 'oidc.rotate-keys', input: { instanceSlug: instance.slug } });
    server.deps.clock.advanceSeconds(PROVIDER_REFRESH_SECONDS + 1);
    expect((await jwks(other.slug)).keys.map((key) => key.kid)).toEqual(before);
  });
});
