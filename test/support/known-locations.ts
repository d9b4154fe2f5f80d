/**
 * Known locations written as logins write them, through the TwoFactorStore: an authenticator bound
 * by an enrolment, then a code used from a location. The known-location port only reads and deletes.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestDeps } from './deps.ts';
import { newSessionToken } from '../../src/domain/session/session.ts';
import { addSeconds } from '../../src/domain/shared/clock.ts';
import { sealMail } from '../../src/domain/mail/seal-mail.ts';
import type { NewKnownLocation } from '../../src/domain/totp/two-factor-store.ts';
import type { NewSession } from '../../src/domain/session/session-store.ts';

/** Every code used here is a newer step than any before it, for every user. */
let lastStep = 1_000;

/** A full session row for `userId`, valid an hour from `now`. */
export function sessionRow(userId: string, now = new Date()): NewSession {
  const token = newSessionToken();
  return {
    id: token.id,
    secretHash: token.secretHash,
    userId,
    stage: 'done',
    lastSeenAt: now,
    expiresAt: addSeconds(now, 3600),
    ip: null,
    userAgent: null,
    secondFactorAt: now,
  };
}

export function newLocation(expiresAt: Date, network = '203.0.113.0/24'): NewKnownLocation {
  return { id: randomBytes(15).toString('base64url'), secretHash: 'h'.repeat(64), network, device: 'Firefox on Linux', expiresAt };
}

/** Binds an authenticator to the user (an enrolment from a session of theirs); returns the session it leaves. */
export async function bindAuthenticator(deps: TestDeps, instanceId: string, userId: string, email: string): Promise<string> {
  const tenant = deps.stores.forInstance(instanceId);
  const first = sessionRow(userId);
  await tenant.sessions.rotate(null, first);
  const next = sessionRow(userId);
  const backup = {
    mac: `mac-${randomBytes(6).toString('hex')}`,
    mail: sealMail(deps.secretBox, { to: email, subject: 'b', text: 'b', html: 'b' }),
  };
  lastStep += 1;
  const bound = await tenant.twoFactor.confirmEnrolment(
    userId,
    'sealed',
    lastStep,
    { previousSessionId: first.id, next },
    null,
    backup,
    [],
    new Date(),
  );
  expect(bound).toBe(true);
  return next.id;
}

/** A code accepted from `location` at `now` (the user has an authenticator): the location is known from then on. */
export async function rememberLocation(deps: TestDeps, instanceId: string, userId: string, location: NewKnownLocation, now: Date) {
  lastStep += 1;
  expect(
    await deps.stores.forInstance(instanceId).twoFactor.consumeStep(userId, { step: lastStep, secretSealed: 'sealed' }, { location, now }),
  ).toBe(true);
}
