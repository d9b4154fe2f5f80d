/**
 * What the reverse proxy tells keyward about the browser's request (SPEC §7): believed only from
 * a TRUST_PROXY address, the same rule Fastify applies to X-Forwarded-For/Host/Proto.
 */
import type { FastifyRequest } from 'fastify';
import proxyAddr from '@fastify/proxy-addr';
import { canonicalHost } from '../../domain/forward-auth/return-url.ts';

/** The browser's request behind the proxy's question. */
export interface OriginalRequest {
  protocol: 'http' | 'https';
  /** As protected applications' hosts are stored (canonicalHost). */
  host: string;
  /** Path and query as the browser sent them. */
  uri: string;
  method: string;
  /** `protocol://host[:port]uri`, the return URL of a sign-in. */
  url: string;
}

/**
 * Whether the TCP peer is one of the proxies TRUST_PROXY names. Why the peer and not a header:
 * every header is text the client may have written; only the socket's address is the proxy's
 * own (OWASP ASVS 5.0 V4.1.3: values from intermediaries trusted only from known ones). A hop
 * count is allowed by config.ts only on a loopback listener, where every peer is this machine.
 */
export function peerIsTrustedProxy(trustProxy: false | number | string[]): (request: FastifyRequest) => boolean {
  if (trustProxy === false) return () => false;
  if (typeof trustProxy === 'number') return () => trustProxy > 0;
  const trusted = proxyAddr.compile(trustProxy);
  return (request) => {
    const peer = request.socket?.remoteAddress;
    return peer !== undefined && trusted(peer, 0);
  };
}

/** The last entry of a header a proxy may have appended to (the one the nearest proxy wrote). */
function lastEntry(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[value.length - 1] : value;
  const entry = text?.split(',').pop()?.trim();
  return entry || undefined;
}

const protocolOf = (value: string | undefined): 'http' | 'https' | null => (value === 'https' ? 'https' : value === 'http' ? 'http' : null);

/**
 * The original request from `X-Original-URL` (nginx) or `X-Forwarded-Proto`, `-Host`, `-Uri` and
 * `-Method` (Traefik, Caddy); the proxy's own Host when it sends no forwarded host. null when
 * they do not name an http(s) URL with a plain host. Call only for a trusted peer.
 */
export function originalRequest(request: FastifyRequest): OriginalRequest | null {
  const headers = request.headers;
  const method = (lastEntry(headers['x-original-method']) ?? lastEntry(headers['x-forwarded-method']) ?? 'GET').toUpperCase();
  const original = lastEntry(headers['x-original-url']);
  let protocol: 'http' | 'https' | null;
  let rawHost: string | undefined;
  let uri: string;
  if (original) {
    const url = URL.parse(original);
    if (!url) return null;
    protocol = protocolOf(url.protocol.slice(0, -1));
    rawHost = url.host;
    uri = `${url.pathname}${url.search}`;
  } else {
    protocol = protocolOf(lastEntry(headers['x-forwarded-proto']) ?? 'http');
    rawHost = lastEntry(headers['x-forwarded-host']) ?? headers.host;
    uri = lastEntry(headers['x-forwarded-uri']) ?? '/';
  }
  if (!protocol || !uri.startsWith('/')) return null;
  const host = canonicalHost(rawHost, protocol);
  if (!host) return null;
  return { protocol, host, uri, method, url: `${protocol}://${host}${uri}` };
}

/**
 * The browser-facing host and scheme of a `/.keyward/*` request: Fastify's `request.host` and
 * `request.protocol`, which take X-Forwarded-Host and -Proto from TRUST_PROXY peers only.
 */
export function appHostOf(request: FastifyRequest): { protocol: 'http' | 'https'; host: string } | null {
  const protocol = request.protocol === 'https' ? 'https' : 'http';
  const host = canonicalHost(request.host, protocol);
  return host ? { protocol, host } : null;
}

/**
 * The cookie names on an application's host. Why `__Host-` on https: the browser then accepts
 * the cookie only with Secure, Path=/ and no Domain, so neither a sibling subdomain nor a plain
 * http response can set or shadow it (RFC 6265bis §4.1.3.2); on http (development) that prefix
 * would be refused, so the plain name.
 */
export function forwardCookieNames(protocol: 'http' | 'https') {
  const prefix = protocol === 'https' ? '__Host-' : '';
  // The parent-domain cookie cannot be `__Host-` (it has a Domain); `__Secure-` on https still
  // keeps a plain-http response from setting it (RFC 6265bis §4.1.3.1). A distinct name, so a
  // host-only app never reads it and a domain app never reads a host cookie.
  const domain = protocol === 'https' ? '__Secure-keyward_fa_d' : 'keyward_fa_d';
  return { session: `${prefix}keyward_fa`, domain, start: `${prefix}keyward_fa_start` };
}

/**
 * Host-only (no Domain), HttpOnly, SameSite=Lax, Path=/, Secure on https; with `domain`, the
 * parent-domain cookie's (the same, with Domain): an app's explicit opt-in (docs/forward-auth.md).
 */
export function forwardCookieOptions(protocol: 'http' | 'https', maxAgeSeconds?: number, domain?: string | null) {
  return {
    ...(domain ? { domain } : {}),
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: protocol === 'https',
    ...(maxAgeSeconds === undefined ? {} : { maxAge: Math.max(0, Math.floor(maxAgeSeconds)) }),
  };
}
