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
