/**
 * The return URL of a sign-in on a protected application's host (`/.keyward/start?rd=…`). Why
 * checked twice (at the start and again at the callback): keyward redirects the browser to it, and
 * an unchecked URL would make keyward an open redirector that lends its trust to a phishing page
 * (OWASP ASVS 5.0 V3.7.2 / the Unvalidated Redirects cheat sheet: redirect only to an allow-list).
 * The allow-list is the application's own hosts.
 */
import { hasControlCharacter } from '../shared/text.ts';

export const MAX_RETURN_URL_LENGTH = 4000;

/** The default port of a scheme, which a Host header may or may not name. */
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * A request's host as the hosts of protected applications are stored: lower-case, no trailing dot,
 * no default port of its scheme. null for anything that is not a plain `hostname[:port]`.
 */
export function canonicalHost(raw: string | undefined, protocol: 'http' | 'https'): string | null {
  if (!raw || raw.length > 260 || !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(raw)) return null;
  const [name, port] = raw.toLowerCase().split(':') as [string, string | undefined];
  const hostname = name.replace(/\.$/, '');
  if (!hostname) return null;
  return port === undefined || port === DEFAULT_PORTS[`${protocol}:`] ? hostname : `${hostname}:${port}`;
}

/**
 * `raw` when it is an absolute http(s) URL on one of `hosts`, with no user name or password and no
 * control characters or backslashes; null otherwise. Why each: a relative or protocol-relative URL
 * (`//evil.example`) is resolved by the browser against whatever it likes; `javascript:` and
 * `data:` run script; `https://app.example@evil.example/` names evil.example with a user name;
 * browsers read `\` as `/` (`https:\\evil.example`); a tab or newline is dropped by the URL parser
 * but may not be by a log or another parser. The host is compared after WHATWG parsing, as the
 * browser will read it.
 */
export function checkedReturnUrl(raw: string | undefined, hosts: readonly string[]): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RETURN_URL_LENGTH) return null;
  if (hasControlCharacter(raw) || /[\s\\]/.test(raw) || !/^https?:\/\//i.test(raw)) return null;
  const url = URL.parse(raw);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return null;
  const host = canonicalHost(url.host, url.protocol === 'https:' ? 'https' : 'http');
  return host !== null && hosts.includes(host) ? url.href : null;
}
