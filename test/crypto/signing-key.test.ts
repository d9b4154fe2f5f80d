import { describe, expect, it } from 'vitest';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { generateSigningJwk, jwkThumbprint } from '../../src/crypto/signing-key.ts';

describe('signing keys', () => {
  it('computes the RFC 7638 thumbprint of its §3.1 example key', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each(['ES256', 'RS256'] as const)('makes a private %s JWK named by its thumbprint that signs and verifies', async (alg) => {
    const jwk = await generateSigningJwk(alg);
    expect(jwk).toMatchObject({ alg, use: 'sig', kty: alg === 'ES256' ? 'EC' : 'RSA' });
    expect(jwk.d).toBeTruthy();
    expect(jwk.kid).toBe(jwkThumbprint(jwk));
    expect((await generateSigningJwk(alg)).kid).not.toBe(jwk.kid);
    const data = Buffer.from('payload');
    const signature = sign('sha256', data, createPrivateKey({ key: jwk, format: 'jwk' }));
    expect(verify('sha256', data, createPublicKey({ key: jwk, format: 'jwk' }), signature)).toBe(true);
  });
});
