/** Test steps for 2FA through the API: enable, set up with oathtool, and log in with a code. */
import { expect } from 'vitest';
import type { Client } from './app.ts';
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
  expect((await client.login(slug, email, PASSWORD)).json()).toEqual({ next: 'verify', methods: ['totp', 'backup_code'] });
  const verified = await client.post('/api/v1/auth/verify', { code: oathtool(secret, deps.clock.now()) });
  expect(verified.json()).toEqual({ next: 'done' });
  deps.clock.advanceSeconds(30);
}
