/**
 * The rules of an OpenID Connect client of an instance (docs/oidc.md, "Clients"): what an
 * administrator may register, checked before anything is stored. Redirect URIs are kept exactly
 * as given, because the provider matches them as exact strings (RFC 9700 §4.1.3).
 */
import { invalidInput } from '../shared/errors.ts';
import { hasControlCharacter } from '../shared/text.ts';
import { ACR_VALUES } from './oidc-login.ts';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** What a machine client (client_credentials) may be given: the admin API's scopes (SPEC §6). */
export const MACHINE_SCOPES = ['keyward:users:read', 'keyward:users:write', 'keyward:audit:read'] as const;
export type MachineScope = (typeof MACHINE_SCOPES)[number];

/** The authentication context classes keyward issues (SPEC §6), from their one home, oidc-login.ts. */
export { ACR_VALUES };
export type AcrValue = (typeof ACR_VALUES)[number];

export const MAX_REDIRECT_URIS = 10;
export const MAX_URI_LENGTH = 2000;
export const MAX_NAME_LENGTH = 100;
/** How many clients one instance may have (a bound on abuse; Settings lists them all). */
export const MAX_CLIENTS = 100;

export interface OidcClient {
  clientId: string;
  name: string;
  /** A public client (a browser or native app) has no secret: PKCE alone binds its codes. */
  public: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  defaultAcrValues: AcrValue[];
  grantTypes: GrantType[];
  /** The machine scopes of a client_credentials client; empty for others. */
  scopes: MachineScope[];
  createdAt: Date;
  updatedAt: Date;
}

/** What an administrator sends to create a client; absent fields take the defaults. */
export interface OidcClientInput {
  name: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string | null;
  public?: boolean;
  defaultAcrValues?: string[];
  grantTypes?: string[];
  scopes?: string[];
}

export type OidcClientPatch = Partial<Omit<OidcClientInput, 'public'>>;

/** The checked, changeable fields of a client. */
export interface OidcClientFields {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  defaultAcrValues: AcrValue[];
  grantTypes: GrantType[];
  scopes: MachineScope[];
}

const LOOPBACK_HOSTS = /^(127(\.\d{1,3}){3}|\[::1\]|localhost)$/;

/**
 * An absolute https URI, or http on a loopback host for development: why no other http, the code
 * and the session would travel in clear text (RFC 9700 §2.6, OAuth 2.0 for native apps RFC 8252
 * §7.3 allows loopback). No fragment (RFC 6749 §3.1.2), no user or password in it, no control
 * characters. Returned exactly as given: matching is by exact string.
 */
export function parseClientUri(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URI_LENGTH || hasControlCharacter(raw) || /\s/.test(raw)) {
    throw invalidInput(field, `Use an absolute URI of at most ${MAX_URI_LENGTH} characters.`);
  }
  const url = URL.parse(raw);
  if (!url) throw invalidInput(field, 'Use an absolute URI, such as https://app.example.com/callback.');
  if (raw.includes('#')) throw invalidInput(field, 'A redirect URI cannot have a fragment (#…).');
  if (url.username || url.password) throw invalidInput(field, 'A redirect URI cannot carry a user name or password.');
  const loopback = LOOPBACK_HOSTS.test(url.hostname);
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    throw invalidInput(field, 'Use https, or http only on 127.0.0.1, [::1] or localhost for development.');
  }
  return raw;
}

function parseUris(raw: unknown, field: string, min: number): string[] {
  if (!Array.isArray(raw)) throw invalidInput(field, 'Give a list of URIs.');
  if (raw.length < min || raw.length > MAX_REDIRECT_URIS) {
    throw invalidInput(field, min > 0 ? `Give 1 to ${MAX_REDIRECT_URIS} URIs.` : `Give at most ${MAX_REDIRECT_URIS} URIs.`);
  }
  const uris = raw.map((uri) => parseClientUri(uri, field));
  if (new Set(uris).size !== uris.length) throw invalidInput(field, 'Each URI only once.');
  return uris;
}

function parseName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) throw invalidInput('name', `Name must be 1–${MAX_NAME_LENGTH} characters.`);
  if (hasControlCharacter(name)) throw invalidInput('name', 'A name cannot contain line breaks, tabs or other control characters.');
  return name;
}

function parseSubset<T extends string>(raw: unknown, allowed: readonly T[], field: string): T[] {
  if (!Array.isArray(raw) || raw.some((value) => !allowed.includes(value as T))) {
    throw invalidInput(field, `Use only ${allowed.join(', ')}.`);
  }
  return allowed.filter((value) => raw.includes(value));
}

/**
 * The fields of a client, checked together (a patch is checked merged with what is stored).
 * Why these rules: a public client has no secret, so it may not use client_credentials (RFC 6749
 * §4.4: the grant needs client authentication); machine scopes only for machine clients, so a
 * browser's token never carries admin API access; a refresh token only with the code flow.
 */
export function parseClientFields(input: Record<string, unknown>, isPublic: boolean): OidcClientFields {
  const grantTypes = parseSubset(input.grantTypes, GRANT_TYPES, 'grantTypes');
  if (grantTypes.length === 0) throw invalidInput('grantTypes', 'Give at least one grant type.');
  const code = grantTypes.includes('authorization_code');
  if (grantTypes.includes('refresh_token') && !code) throw invalidInput('grantTypes', 'refresh_token needs authorization_code.');
  const machine = grantTypes.includes('client_credentials');
  if (machine && isPublic) throw invalidInput('grantTypes', 'A public client cannot use client_credentials: it has no secret.');
  // Why not both: a machine client's token carries admin API scopes, a sign-in client's never does.
  if (machine && grantTypes.length > 1) throw invalidInput('grantTypes', 'client_credentials goes alone: make a separate application.');
  const scopes = parseSubset(input.scopes, MACHINE_SCOPES, 'scopes');
  if (scopes.length > 0 && !machine) throw invalidInput('scopes', 'Scopes are for client_credentials clients only.');
  const redirectUris = parseUris(input.redirectUris, 'redirectUris', code ? 1 : 0);
  if (!code && redirectUris.length > 0) throw invalidInput('redirectUris', 'Redirect URIs are for authorization_code clients only.');
  const backchannel = input.backchannelLogoutUri;
  return {
    name: parseName(input.name),
    redirectUris,
    postLogoutRedirectUris: parseUris(input.postLogoutRedirectUris, 'postLogoutRedirectUris', 0),
    backchannelLogoutUri: backchannel === null || backchannel === undefined ? null : parseClientUri(backchannel, 'backchannelLogoutUri'),
    defaultAcrValues: parseSubset(input.defaultAcrValues, ACR_VALUES, 'defaultAcrValues'),
    grantTypes,
    scopes,
  };
}

/** The defaults of a new client: a web application signing users in with the code flow. */
export function withDefaults(input: OidcClientInput): Record<string, unknown> {
  return {
    redirectUris: [],
    postLogoutRedirectUris: [],
    backchannelLogoutUri: null,
    defaultAcrValues: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: [],
    ...Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)),
  };
}
