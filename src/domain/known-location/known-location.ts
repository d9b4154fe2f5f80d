import { isIPv4, isIPv6 } from 'node:net';
import { newIdSecretToken, secretMatches } from '../../crypto/token.ts';

export interface KnownLocation {
  id: string;
  network: string;
  device: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

/** What the login lookup returns for the device tokens the browser presented. */
export interface PresentedLocation {
  id: string;
  secretHash: string;
  network: string;
}

/**
 * The network a client address belongs to: IPv4 /24, IPv6 /48 (SPEC §1). A user moving within one
 * office or home network keeps the trust; another network asks for a code.
 */
export function networkOf(ip: string | null): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(address)) return `${expandIPv6(address).slice(0, 3).join(':')}::/48`;
  return 'unknown';
}

/** The eight hextets of an IPv6 address, lower case, without leading zeros. */
export function expandIPv6(address: string): string[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...(tail === undefined ? [] : zeros), ...right].map((part) => part.toLowerCase().replace(/^0+(?=.)/, ''));
}

/** A short, human label for a user agent ("Chrome on Linux"), for the known-locations list. */
export function deviceLabel(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'Browser';
  const os = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPad/.test(userAgent)
        ? 'iOS'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : 'an unknown system';
  return `${browser} on ${os}`;
}

/** A trusted-device token: the same `id.secret` shape as sessions; only SHA-256(secret) stored. */
export const newDeviceToken = newIdSecretToken;

/**
 * Whether one of the presented device tokens makes this login a known location: the token's
 * secret matches (constant time) and, when the instance asks again on a network change, the
 * client is on the network where the token was issued (RD-03, RD-05: the network comes from the
 * socket or a trusted proxy, never from client headers).
 */
export function findKnownLocation(
  presented: Array<{ id: string; secret: string }>,
  stored: PresentedLocation[],
  network: string,
  requireSameNetwork: boolean,
): PresentedLocation | null {
  for (const candidate of stored) {
    const token = presented.find((p) => p.id === candidate.id);
    if (!token || !secretMatches(token.secret, candidate.secretHash)) continue;
    if (requireSameNetwork && candidate.network !== network) continue;
    return candidate;
  }
  return null;
}
