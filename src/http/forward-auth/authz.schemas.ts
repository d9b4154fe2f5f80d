/** The proxy's question's answers (SPEC §7): the identity is in the headers, the body says little. */

const identityHeaders = {
  type: 'object',
  properties: Object.fromEntries(
    ['Remote-User', 'Remote-Email', 'Remote-Name', 'Remote-Groups', 'Remote-Instance', 'Remote-Amr', 'Remote-Jwt'].map((name) => [
      name,
      { type: 'string', description: 'Always present; empty unless the request is allowed.' },
    ]),
  ),
} as const;

/** 200: allowed. */
export const authzAllowedSchema = {
  description: 'Allowed: the identity headers name the user.',
  headers: identityHeaders,
  type: 'object',
  additionalProperties: false,
  required: ['allowed'],
  properties: { allowed: { type: 'boolean' } },
} as const;

/** 401, 403 (and 302 of forward-auth): refused, every identity header empty. */
export const authzRefusedSchema = {
  description: 'Refused: every identity header is present and empty.',
  headers: identityHeaders,
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;
