/** The schemas of an instance's OpenID Connect clients (SPEC §6, oidc-clients.routes.ts). */
import { ACR_VALUES, GRANT_TYPES, MACHINE_SCOPES } from '../../domain/oidc/oidc-client.ts';

const uris = { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 4000 } } as const;
const strings = { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 200 } } as const;

const clientProperties = {
  clientId: { type: 'string' },
  name: { type: 'string' },
  public: { type: 'boolean' },
  redirectUris: { type: 'array', items: { type: 'string' } },
  postLogoutRedirectUris: { type: 'array', items: { type: 'string' } },
  backchannelLogoutUri: { type: ['string', 'null'] },
  defaultAcrValues: { type: 'array', items: { type: 'string', enum: ACR_VALUES } },
  grantTypes: { type: 'array', items: { type: 'string', enum: GRANT_TYPES } },
  scopes: { type: 'array', items: { type: 'string', enum: MACHINE_SCOPES } },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
} as const;
const clientRequired = Object.keys(clientProperties) as Array<keyof typeof clientProperties>;

/** A client as the API answers it: never its secret. */
export const oidcClientSchema = {
  type: 'object',
  additionalProperties: false,
  required: clientRequired,
  properties: clientProperties,
} as const;

/** The answer that creates a client or rotates its secret: the secret in plaintext, this once (null for a public client). */
export const oidcClientWithSecretSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...clientRequired, 'clientSecret'],
  properties: { ...clientProperties, clientSecret: { type: ['string', 'null'] } },
} as const;

export const oidcClientListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['clients'],
  properties: { clients: { type: 'array', items: oidcClientSchema } },
} as const;

const changeable = {
  name: { type: 'string', maxLength: 1000 },
  redirectUris: uris,
  postLogoutRedirectUris: uris,
  backchannelLogoutUri: { type: ['string', 'null'], maxLength: 4000 },
  defaultAcrValues: strings,
  grantTypes: strings,
  scopes: strings,
} as const;

/** POST /admin/oidc/clients. Shapes only: the rules (URIs, grants, scopes) are the domain's, with its field names. */
export const createOidcClientBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { ...changeable, public: { type: 'boolean' } },
} as const;

/** PATCH /admin/oidc/clients/{clientId}: what it names changes; `public` cannot. */
export const patchOidcClientBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: changeable,
} as const;

export const clientIdParamsSchema = {
  type: 'object',
  required: ['clientId'],
  properties: { clientId: { type: 'string', maxLength: 200 } },
} as const;
