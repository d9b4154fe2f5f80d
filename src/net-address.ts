/**
 * Addresses, as keyward believes them: one place that decides what a loopback host is, what a
 * valid client address is, and what a trusted-proxy entry may be. Used by config.ts and http/.
 */
import net from 'node:net';

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * A client address in one canonical spelling, or null when `value` is not an IP address at all.
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what a dual-stack socket reports) becomes plain IPv4, so the
 * same client is one key for throttles, known locations and the audit log; a zone id is dropped.
 */
export function canonicalIp(value: string | null | undefined): string | null {
  const trimmed = value?.trim().replace(/%.*$/, '') ?? '';
  const mapped = IPV4_MAPPED.exec(trimmed);
  const candidate = mapped ? mapped[1]! : trimmed;
  const version = net.isIP(candidate);
  if (version === 4) return candidate;
  if (version === 6) return candidate.toLowerCase();
  return null;
}

/** A URL hostname (or Host header without its port) that names this machine only. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (host === 'localhost') return true;
  const ip = canonicalIp(host);
  return ip !== null && (ip === '::1' || /^127\./.test(ip));
}

/** The hostname part of a Host header (`name`, `name:port`, `[v6]:port`), lower case. */
export function hostOfHostHeader(header: string | undefined): string {
  const value = header?.trim().toLowerCase() ?? '';
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  return value.replace(/:\d*$/, '');
}

/** proxy-addr's named ranges, accepted in TRUST_PROXY as Fastify documents. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One TRUST_PROXY list entry: an address, an address/prefix (CIDR), or a named range. */
export function isProxyEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = net.isIP(address ?? '');
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}
