/**
 * The rules of a protected application (SPEC §7, docs/forward-auth.md): an application without a
 * login of its own that a reverse proxy puts behind keyward. Its hosts pick it (the proxy's request
 * names a host and nothing else), its path rules say who may open what. Pure: checked before
 * anything is stored, and judged on every proxied request.
 */
import { invalidInput } from '../shared/errors.ts';
import { hasControlCharacter } from '../shared/text.ts';

export const REQUIREMENTS = ['any', 'admin', 'mfa'] as const;
/** `any`: a signed-in user of the instance; `admin`: an administrator; `mfa`: a code in this session. */
export type Requirement = (typeof REQUIREMENTS)[number];

export interface AppRule {
  /** A path prefix starting with `/`, matched as a string prefix of the normalised path. */
  prefix: string;
  require: Requirement;
}

export interface ProtectedApp {
  id: string;
  name: string;
  /** `hostname[:port]`, lower-case, unique across all instances. */
  hosts: string[];
  rules: AppRule[];
  /** The internal OpenID Connect client keyward signs users in to this app with. */
  clientId: string;
  /**
   * null (the default): the forward cookie is host-only. Otherwise the parent domain of every
   * host it is set for (`Domain=`), and one sign-in serves every app of the instance with the
   * same domain (docs/forward-auth.md, "Parent-domain cookie (opt-in)").
   */
  cookieDomain: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProtectedAppInput {
  name: string;
  hosts: string[];
  rules?: AppRule[] | undefined;
  cookieDomain?: string | null | undefined;
}

export type ProtectedAppPatch = Partial<ProtectedAppInput>;

export const MAX_HOSTS = 10;
export const MAX_RULES = 50;
export const MAX_PREFIX_LENGTH = 200;
export const MAX_NAME_LENGTH = 100;
/** How many protected applications one instance may have (a bound on abuse; each has a client). */
export const MAX_APPS = 50;

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = new RegExp(`^(?:${LABEL})(?:\\.${LABEL})*(?::([1-9][0-9]{0,4}))?$`);

/**
 * A host as a proxy's Host header names it: a DNS name or IPv4 address, lower-case, with an
 * optional port. Why so strict: the host decides which application (and so which instance) a
 * request belongs to; anything a browser or proxy could spell two ways would give one app two
 * names or let a name be mistaken for another (RFC 9110 §7.2: Host is `uri-host [":" port]`).
 */
export function parseHost(raw: unknown): string {
  const host =
    typeof raw === 'string'
      ? raw
          .trim()
          .toLowerCase()
          .replace(/\.(?=:|$)/, '')
      : '';
  const match = HOST.exec(host);
  if (!match || host.length > 260 || (match[1] !== undefined && Number(match[1]) > 65535)) {
    throw invalidInput('hosts', 'Use host names such as app.example.com or app.example.com:8443.');
  }
  // :80 and :443 are the default ports a request's Host leaves out (canonicalHost drops them):
  // stored with one, the host would never match.
  return host.replace(/:(80|443)$/, '');
}

/**
 * The path a rule is judged on: percent-encoded unreserved characters decoded (RFC 3986 §6.2.2.2),
 * runs of `/` merged, dot segments removed (RFC 3986 §5.2.4, as WHATWG URL does, `%2e` included).
 * Why: the upstream normalises before it serves, so `/public/../admin`, `/%61dmin` and `//admin`
 * are /admin there and must be /admin here, or a rule could be walked around (OWASP ASVS 5.0
 * V8.2: authorisation on the resource actually served).
 */
export function normalisePath(raw: string): string {
  const path = raw.split(/[?#]/, 1)[0] || '/';
  const decoded = path.replace(/%([0-9a-fA-F]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : escape.toUpperCase();
  });
  const merged = decoded.replace(/\/{2,}/g, '/');
  return new URL(merged.startsWith('/') ? merged : `/${merged}`, 'http://keyward.invalid').pathname;
}

function parseRule(raw: unknown): AppRule {
  const rule = raw as Partial<AppRule> | null;
  const prefix = typeof rule?.prefix === 'string' ? rule.prefix : '';
  if (!prefix.startsWith('/') || prefix.length > MAX_PREFIX_LENGTH || hasControlCharacter(prefix) || /[\s?#]/.test(prefix)) {
    throw invalidInput('rules', `A rule's prefix starts with / and has at most ${MAX_PREFIX_LENGTH} characters, no spaces, ? or #.`);
  }
  // A prefix that normalises to something else could never match a normalised path as written.
  if (normalisePath(prefix) !== prefix) {
    throw invalidInput('rules', 'Write a rule’s prefix as the plain path: no //, . or .. segments, no %-escapes of letters.');
  }
  if (!REQUIREMENTS.includes(rule!.require as Requirement))
    throw invalidInput('rules', `A rule requires one of ${REQUIREMENTS.join(', ')}.`);
  return { prefix, require: rule!.require as Requirement };
}

function parseName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) throw invalidInput('name', `Name must be 1–${MAX_NAME_LENGTH} characters.`);
  if (hasControlCharacter(name)) throw invalidInput('name', 'A name cannot contain line breaks, tabs or other control characters.');
  return name;
}

const hostnameOf = (host: string) => host.replace(/:[0-9]+$/, '');

/**
 * The parent-domain cookie's domain, checked against the app's (already parsed) hosts: a DNS
 * name of at least two labels, its last one not all digits (no IP address: RFC 6265 §5.1.3 lets
 * an IP match only itself), without a port, and a parent (or the name) of EVERY host. Why every
 * host: a browser refuses a Domain its response's host is not under (RFC 6265 §5.3 step 6), so
 * the sign-in on a host outside would never stick. Why two labels: `Domain=com` would hand the
 * cookie to the whole TLD. A multi-label public suffix (`co.uk`) cannot be told from a name
 * without the Public Suffix List, which keyward does not carry; browsers refuse such a Domain
 * themselves (RFC 6265 §5.3 step 5), so that mistake fails closed.
 */
export function parseCookieDomain(raw: unknown, hosts: string[]): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const domain = typeof raw === 'string' ? raw.trim().toLowerCase().replace(/^\./, '').replace(/\.$/, '') : '';
  const labels = domain.split('.');
  const valid =
    domain.length <= 253 &&
    labels.length >= 2 &&
    labels.every((label) => new RegExp(`^${LABEL}$`).test(label)) &&
    !/^[0-9]+$/.test(labels[labels.length - 1]!);
  if (!valid) throw invalidInput('cookieDomain', 'Use a parent domain such as example.com: at least two labels, no IP address, no port.');
  const under = (host: string) => hostnameOf(host) === domain || hostnameOf(host).endsWith(`.${domain}`);
  if (!hosts.every(under)) throw invalidInput('cookieDomain', `Every host must be ${domain} or under it.`);
  return domain;
}

/** The checked fields of an application; a patch is checked merged with what is stored. */
export function parseAppFields(input: {
  name: unknown;
  hosts: unknown;
  rules?: unknown;
  cookieDomain?: unknown;
}): Pick<ProtectedApp, 'name' | 'hosts' | 'rules' | 'cookieDomain'> {
  if (!Array.isArray(input.hosts) || input.hosts.length < 1 || input.hosts.length > MAX_HOSTS) {
    throw invalidInput('hosts', `Give 1 to ${MAX_HOSTS} hosts.`);
  }
  const hosts = input.hosts.map(parseHost);
  if (new Set(hosts).size !== hosts.length) throw invalidInput('hosts', 'Each host only once.');
  const rawRules = input.rules ?? [];
  if (!Array.isArray(rawRules) || rawRules.length > MAX_RULES) throw invalidInput('rules', `Give at most ${MAX_RULES} rules.`);
  const rules = rawRules.map(parseRule);
  if (new Set(rules.map((r) => r.prefix)).size !== rules.length) throw invalidInput('rules', 'Each prefix only once.');
  return { name: parseName(input.name), hosts, rules, cookieDomain: parseCookieDomain(input.cookieDomain, hosts) };
}

/**
 * What a path requires: the rule with the longest prefix of the normalised path wins, and a path
 * no rule covers requires `any` (a signed-in user: deny by default, OWASP ASVS 5.0 V8.2.1, so an
 * app without rules is still closed to the anonymous).
 */
export function requirementFor(rules: readonly AppRule[], rawPath: string): Requirement {
  const path = normalisePath(rawPath);
  let best: AppRule | null = null;
  for (const rule of rules) {
    if (path.startsWith(rule.prefix) && (!best || rule.prefix.length > best.prefix.length)) best = rule;
  }
  return best?.require ?? 'any';
}
