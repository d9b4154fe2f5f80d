import type { NewAuditEvent } from '../audit/audit-event.ts';
import type { ThrottlePolicy, ThrottleState } from './throttle.ts';

export interface FailureKey {
  key: string;
  /** null: never forget; else start over after this many quiet seconds. */
  decaySeconds: number | null;
}

/** Throttle counters. Keys are global strings that already name their instance where they have one. */
export interface ThrottleStore {
  /** Adds one failure to every key in one atomic statement that also writes `audit`; returns the new counts by key. */
  recordFailure(keys: FailureKey[], now: Date, audit?: NewAuditEvent[]): Promise<Map<string, number>>;
  /**
   * Adds one to `key` unless the key is locked under `policy` (one atomic statement); returns the
   * new count, or null when locked (nothing changed).
   */
  reserve(key: string, policy: ThrottlePolicy, now: Date): Promise<number | null>;
  /** Deletes these keys (a success). */
  clear(keys: string[]): Promise<void>;
  /** The states of these keys (absent: no failures). */
  find(keys: string[]): Promise<Map<string, ThrottleState>>;
}

export type { ThrottleState };
