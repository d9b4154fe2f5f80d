import { describe, expect, it } from 'vitest';
import { deviceLabel, findKnownLocation, networkOf, newDeviceToken } from '../../src/domain/known-location/known-location.ts';

describe('known locations', () => {
  it('derives the network: IPv4 /24, IPv6 /48, IPv4-mapped IPv6 as IPv4', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(networkOf('::1')).toBe('0:0:0::/48');
    expect(networkOf(null)).toBe('unknown');
    expect(networkOf('not an ip')).toBe('unknown');
  });

  it('names common browsers and systems', () => {
    expect(deviceLabel('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36')).toBe(
      'Chrome on Linux',
    );
    expect(deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0')).toBe('Firefox on Windows');
    expect(
      deviceLabel(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
      ),
    ).toBe('Safari on iOS');
    expect(
      deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 Edg/130.0'),
    ).toBe('Edge on Windows');
    expect(deviceLabel(null)).toBe('Unknown device');
  });

  it('matches a presented token by secret, and by network only when the instance asks', () => {
    const token = newDeviceToken();
    const stored = [{ id: token.id, secretHash: token.secretHash, network: '203.0.113.0/24' }];
    const presented = [{ id: token.id, secret: token.secret }];
    expect(findKnownLocation(presented, stored, '203.0.113.0/24', true)?.id).toBe(token.id);
    expect(findKnownLocation(presented, stored, '198.51.100.0/24', true)).toBeNull();
    expect(findKnownLocation(presented, stored, '198.51.100.0/24', false)?.id).toBe(token.id);
    expect(findKnownLocation([{ id: token.id, secret: newDeviceToken().secret }], stored, '203.0.113.0/24', true)).toBeNull();
    expect(findKnownLocation([], stored, '203.0.113.0/24', true)).toBeNull();
  });
});
