/**
 * Who is asking, as keyward believes it: the one place that reads the client's address and user
 * agent from a request (sessions, known locations, throttles, the audit log and the request log).
 */
import type { FastifyRequest } from 'fastify';
import { canonicalIp } from '../net-address.ts';

/**
 * The client's IP address: the X-Forwarded-For entry Fastify believes under TRUST_PROXY, or the
 * socket's. Why checked: a believed entry is still text a client may have written; one that is
 * not an IP address is not stored or keyed on, the socket address counts instead (issue 10 item 7;
 * checklist RD-05). IPv4-mapped IPv6 becomes IPv4, so one client is one key.
 */
export function clientIp(request: FastifyRequest): string | null {
  return canonicalIp(request.ip) ?? canonicalIp(request.socket?.remoteAddress);
}

/**
 * Fastify's trustProxy for TRUST_PROXY: addresses as they are; a hop count as a function, since
 * Fastify 5 ignores a bare number (it cannot check the peer). config.ts accepts a hop count only
 * with a loopback HOST, where the only peers are this machine's proxies.
 */
export function trustProxyOption(trustProxy: false | number | string[]): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trustProxy !== 'number') return trustProxy;
  return (_address, hop) => hop < trustProxy;
}

/** Longer user agents are cut: they are shown and logged, never parsed. */
export const MAX_USER_AGENT_LENGTH = 512;
const utf8 = new TextDecoder('utf-8');

/**
 * The User-Agent as the client wrote it. Node hands header bytes over as latin1 (one character
 * per byte), so UTF-8 ("Zoë") arrived as mojibake ("ZoÃ«"): the bytes are decoded as UTF-8, any
 * invalid sequence becomes U+FFFD, and the text is cut at MAX_USER_AGENT_LENGTH UTF-16 units
 * without splitting a character (a lone surrogate is refused by PostgreSQL). Issue 10 item 21.
 */
export function clientUserAgent(request: FastifyRequest): string | null {
  const raw = request.headers['user-agent'];
  if (raw === undefined || raw === '') return null;
  // Characters above U+00FF never come from the wire: such a string is text already (inject()).
  const text = /^[\x00-\xff]*$/.test(raw) ? utf8.decode(Buffer.from(raw, 'latin1')) : raw;
  return cutWhole(text, MAX_USER_AGENT_LENGTH);
}

function cutWhole(text: string, maxUnits: number): string {
  if (text.length <= maxUnits) return text;
  let end = maxUnits;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}
