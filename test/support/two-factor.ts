/** Test steps for 2FA through the API: enable, set up with oathtool, and log in with a code. */
import { expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Client } from './app.ts';
import { createOperator } from '../../src/domain/support/create-operator.ts';
import type { TestDeps } from './deps.ts';
import { PASSWORD } from './deps.ts';
import { oathtool } from './oathtool.ts';

/**
 * Turns 2FA on for a logged-in client and sets up an authenticator; returns the Base32 secret.
 * The clock then moves one step on, so the next code is a fresh one.
 */
export async function enrolTotp(client: Client, deps: TestDeps, password = PASSWORD): Promise<string> {
  expect((await client.request({ method: 'PUT', url: '/api/v1/me/two-factor', payload: { enabled: true } })).statusCode).toBe(200);
  // From a full session, binding a first app needs the current password (issue 10 item 5).
  const setup = await client.post('/api/v1/auth/setup', { currentPassword: password });
  expect(setup.statusCode).toBe(200);
  const { secret } = setup.json();
  const confirm = await client.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) });
  expect(confirm.json()).toEqual({ next: 'done' });
  deps.clock.advanceSeconds(30);
  return secret;
}

/** Password then code: the full login from a new location. */
export async function loginWithCode(client: Client, deps: TestDeps, slug: string, email: string, secret: string): Promise<void> {
  expect((await client.login(slug, email, PASSWORD)).json()).toMatchObject({ next: 'verify', methods: ['totp', 'backup_code'] });
  const verified = await client.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) });
  expect(verified.json()).toEqual({ next: 'done' });
  deps.clock.advanceSeconds(30);
}

/** The support operators' test password (long enough for their policy, made of no name of theirs). */
export const OPERATOR_PASSWORD = 'support staff passphrase 2026';

/** A new support operator, Olga Operator, with OPERATOR_PASSWORD and no app yet. */
export function givenOperator(deps: TestDeps) {
  return createOperator(deps, {
    email: `op-${randomBytes(4).toString('hex')}@vendor.test`,
    name: 'Olga Operator',
    password: OPERATOR_PASSWORD,
  });
}

/**
 * A new support operator (givenOperator) through the first login: the password, which asks
 * for an app at once, then an app set up with oathtool. The clock then moves a step on.
 */
export async function givenOperatorLoggedIn(app: FastifyInstance, deps: TestDeps, origin?: string) {
  const operator = await givenOperator(deps);
  const client = new Client(app, origin);
  expect((await client.post('/api/v1/support/login', { email: operator.email, password: OPERATOR_PASSWORD })).json()).toEqual({
    next: 'setup',
    canPostpone: false,
  });
  const setup = await client.post('/api/v1/auth/setup');
  expect(setup.statusCode).toBe(200);
  const { secret, otpauthUri } = setup.json<{ secret: string; otpauthUri: string }>();
  expect(otpauthUri).toContain(encodeURIComponent(operator.email));
  expect((await client.post('/api/v1/auth/setup/confirm', { code: oathtool(secret, deps.clock.now()) })).json()).toEqual({ next: 'done' });
  deps.clock.advanceSeconds(30);
  return { operator, client, secret };
}
