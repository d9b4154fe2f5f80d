import { describe, expect, it } from 'vitest';
import { normalisePath, parseHost, requirementFor, type AppRule } from '../../src/domain/forward-auth/protected-app.ts';
import { canonicalHost, checkedReturnUrl } from '../../src/domain/forward-auth/return-url.ts';

const rules: AppRule[] = [
  { prefix: '/admin', require: 'mfa' },
  { prefix: '/admin/public', require: 'any' },
  { prefix: '/api/admin/', require: 'admin' },
];

describe('the rules of a protected application', () => {
  it.each([
    ['/', 'any'],
    ['/admin', 'mfa'],
    ['/admin/users?x=1', 'mfa'],
    ['/admin/public/logo.png', 'any'],
    ['/api/admin/keys', 'admin'],
    ['/api/admin', 'any'],
    ['/public/../admin', 'mfa'],
    ['/admin/public/../../admin/x', 'mfa'],
    ['//admin', 'mfa'],
    ['/%61dmin', 'mfa'],
    ['/%2e%2e/admin', 'mfa'],
    ['/x/%2E./admin', 'mfa'],
  ])('judges %s as %s (longest prefix of the normalised path)', (path, expected) => {
    expect(requirementFor(rules, path)).toBe(expected);
  });

  it('keeps escapes of reserved characters as they are, upper-cased', () => {
    expect(normalisePath('/a%2fb%3f')).toBe('/a%2Fb%3F');
  });

  it.each([
    ['App.Example.test', 'app.example.test'],
    ['app.example.test.', 'app.example.test'],
    ['app.example.test:8443', 'app.example.test:8443'],
    ['10.0.0.1:80', '10.0.0.1'],
    ['app.example.test:443', 'app.example.test'],
  ])('accepts the host %s as %s', (raw, host) => {
    expect(parseHost(raw)).toBe(host);
  });

  it.each(['', 'https://a.test', 'a.test/x', 'user@a.test', 'a.test:0', 'a.test:99999', '-a.test', 'a..test', 'a_b.test', '[::1]'])(
    'refuses the host %j',
    (raw) => {
      expect(() => parseHost(raw)).toThrow();
    },
  );
});

describe('the return URL and the request host', () => {
  const hosts = ['app.example.test', 'app.example.test:8443'];
  it.each([
    ['https://app.example.test/x?y=1', 'https://app.example.test/x?y=1'],
    ['https://APP.example.test:443/', 'https://app.example.test/'],
    ['http://app.example.test:8443/', 'http://app.example.test:8443/'],
  ])('takes %s', (raw, href) => {
    expect(checkedReturnUrl(raw, hosts)).toBe(href);
  });

  it.each([
    'https://evil.example/',
    '//evil.example/',
    '/x',
    'javascript:alert(1)',
    'JAVASCRIPT://app.example.test/%0aalert(1)',
    'data:text/html,hi',
    'https://app.example.test@evil.example/',
    'https://user:pw@app.example.test/',
    'https:\\\\evil.example',
    'https://app.example.test\\@evil.example/',
    'https://app.example.test.evil.example/',
    'https://app.example.test:8444/',
    'https://app.example.test/\n',
    'ftp://app.example.test/',
    `https://app.example.test/${'a'.repeat(4000)}`,
  ])('refuses %j', (raw) => {
    expect(checkedReturnUrl(raw, hosts)).toBeNull();
  });

  it('drops the default port of the scheme and refuses what is no plain host', () => {
    expect(canonicalHost('App.Example.test:443', 'https')).toBe('app.example.test');
    expect(canonicalHost('app.example.test:443', 'http')).toBe('app.example.test:443');
    expect(canonicalHost('app.example.test, evil.example', 'https')).toBeNull();
    expect(canonicalHost(undefined, 'https')).toBeNull();
  });
});
