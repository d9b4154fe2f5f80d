import { describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { engines } from '../support/db.ts';
import { givenInstance } from '../support/deps.ts';
import { useOidcServer, type OidcServer } from '../support/oidc.ts';

describe.each(engines())('OpenID Connect discovery per instance on %s', (engine) => {
  let server: OidcServer;
  useOidcServer(engine, (s) => (server = s));

  const discover = (issuer: string) =>
    client.discovery(new URL(issuer), 'unused', undefined, undefined, { execute: [client.allowInsecureRequests] });

  it('serves each instance its own issuer, with every endpoint under it', async () => {
    const [{ instance: a }, { instance: b }] = await Promise.all([givenInstance(server.deps), givenInstance(server.deps)]);
    for (const slug of [a.slug, b.slug]) {
      const issuer = server.issuer(slug);
      const metadata = (await discover(issuer)).serverMetadata();
      expect(metadata.issuer).toBe(issuer);
      for (const endpoint of [
        'jwks_uri',
        'authorization_endpoint',
        'token_endpoint',
        'userinfo_endpoint',
        'end_session_endpoint',
        'revocation_endpoint',
        'introspection_endpoint',
      ] as const) {
        expect(metadata[endpoint], endpoint).toMatch(new RegExp(`^${issuer}/`));
      }
    }
  });

  it('advertises PKCE S256 only, the code flow only, and no dynamic registration', async () => {
    const { instance } = await givenInstance(server.deps);
    const metadata = (await discover(server.issuer(instance.slug))).serverMetadata();
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.registration_endpoint).toBeUndefined();
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'none']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['ES256', 'RS256']);
  });

  it('publishes an ES256 and an RS256 public key per instance, with kids no other instance has', async () => {
    const [{ instance: a }, { instance: b }] = await Promise.all([givenInstance(server.deps), givenInstance(server.deps)]);
    const keysOf = async (slug: string) => {
      const { jwks_uri } = (await discover(server.issuer(slug))).serverMetadata();
      const response = await fetch(jwks_uri!);
      expect(response.status).toBe(200);
      return ((await response.json()) as { keys: Array<Record<string, string>> }).keys;
    };
    const [keysA, keysB] = [await keysOf(a.slug), await keysOf(b.slug)];
    for (const keys of [keysA, keysB]) {
      expect(keys.map((k) => [k.alg, k.kty, k.use])).toEqual([
        ['ES256', 'EC', 'sig'],
        ['RS256', 'RSA', 'sig'],
      ]);
      // Public parts only: no private member of an EC or RSA JWK (RFC 7518 §6.2.2, §6.3.2).
      for (const key of keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key[member]).toBeUndefined();
    }
    const kidsA = keysA.map((k) => k.kid);
    expect(keysB.map((k) => k.kid).filter((kid) => kidsA.includes(kid))).toEqual([]);
    // Built once, the same keys on the next request.
    expect((await keysOf(a.slug)).map((k) => k.kid)).toEqual(kidsA);
  });

  it('answers an unknown instance with the API error object, 404 not_found', async () => {
    for (const path of ['/i/no-such-instance/.well-known/openid-configuration', '/i/no-such-instance', '/i/no-such-instance/token']) {
      const response = await fetch(`${server.origin}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    // A slug spelled with percent-escapes names no mount path: refused, not half-mounted.
    const { instance } = await givenInstance(server.deps);
    const escaped = `%${instance.slug.charCodeAt(0).toString(16)}${instance.slug.slice(1)}`;
    expect((await fetch(`${server.origin}/i/${escaped}/.well-known/openid-configuration`)).status).toBe(404);
  });
});
