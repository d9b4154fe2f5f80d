import { invalidInput } from '../shared/errors.ts';
import type { PasswordPolicy } from '../policy/policy.ts';
import { hasControlCharacter } from '../shared/text.ts';

export const PLANS = ['professional', 'business', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export interface Instance {
  id: string;
  slug: string;
  name: string;
  plan: Plan;
  createdAt: Date;
  knownLocations: KnownLocationSettings;
  policy: PasswordPolicy;
}

/** Instance settings for known locations (trusted devices). */
export interface KnownLocationSettings {
  /** How long a device stays trusted after a code; 0 asks for a code at every login. At most 30 (NIST AAL1 reauthentication). */
  trustDays: number;
  /** Ask again when the device shows up on another network; off trusts the device alone (VPN users). */
  requireSameNetwork: boolean;
}

export const DEFAULT_KNOWN_LOCATION_SETTINGS: KnownLocationSettings = { trustDays: 30, requireSameNetwork: true };

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A slug is 1–63 characters of a-z, 0-9 and inner hyphens (it may appear in URLs and hostnames). */
export function parseSlug(raw: string, field = 'slug'): string {
  if (!SLUG.test(raw)) throw invalidInput(field, 'Use 1–63 lower-case letters, digits and inner hyphens.');
  return raw;
}

export function parsePlan(raw: string, field = 'plan'): Plan {
  if (!(PLANS as readonly string[]).includes(raw)) throw invalidInput(field, `Plan must be one of ${PLANS.join(', ')}.`);
  return raw as Plan;
}

export function parseInstanceName(raw: string, field = 'name'): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 200) throw invalidInput(field, 'Name must be 1–200 characters.');
  // Instance names go into mail subjects and lines too (issue 10 item 21).
  if (hasControlCharacter(name)) throw invalidInput(field, 'A name cannot contain line breaks, tabs or other control characters.');
  return name;
}
