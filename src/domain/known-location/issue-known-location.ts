import type { Deps } from '../shared/deps.ts';
import { addSeconds } from '../shared/clock.ts';
import type { Instance } from '../instance/instance.ts';
import type { ClientInfo } from '../session/start-session.ts';
import type { NewKnownLocation } from '../totp/two-factor-store.ts';
import { deviceLabel, networkOf, newDeviceToken } from './known-location.ts';

export interface IssuedDevice {
  /** For the cookie. */
  id: string;
  secret: string;
  maxAgeSeconds: number;
  row: NewKnownLocation;
}

/**
 * After a verified second factor, this browser on this network becomes a known location for the
 * instance's trust duration (RD-07: only after a successful code). None when trust is 0 days.
 */
export function issueKnownLocation(deps: Deps, instance: Instance, client: ClientInfo): IssuedDevice | null {
  const days = instance.knownLocations.trustDays;
  if (days <= 0) return null;
  const token = newDeviceToken();
  const maxAgeSeconds = days * 24 * 60 * 60;
  return {
    id: token.id,
    secret: token.secret,
    maxAgeSeconds,
    row: {
      id: token.id,
      secretHash: token.secretHash,
      network: networkOf(client.ip),
      device: deviceLabel(client.userAgent),
      expiresAt: addSeconds(deps.clock.now(), maxAgeSeconds),
    },
  };
}
