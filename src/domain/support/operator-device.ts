import { addSeconds } from '../shared/clock.ts';
import { newDeviceToken } from '../known-location/known-location.ts';

/** How long an operator's browser keeps its device token. */
export const OPERATOR_DEVICE_SECONDS = 30 * 24 * 60 * 60;

/** A new device token for an operator's browser: the cookie's parts and the row to store (only a SHA-256 of the secret). */
export function newOperatorDevice(now: Date) {
  const token = newDeviceToken();
  return { id: token.id, secret: token.secret, row: { id: token.id, secretHash: token.secretHash, expiresAt: addSeconds(now, OPERATOR_DEVICE_SECONDS) } };
}

/** A device cookie to set: its id, secret and lifetime. */
export interface OperatorDevice {
  id: string;
  secret: string;
  maxAgeSeconds: number;
}
