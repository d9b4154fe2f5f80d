import type { ThrottleState } from './throttle.ts';

export interface FailureKey {
  key: string;
  /** null: never forget; else start over after this many quiet seconds. */
  decaySeconds: number | null;
}

/** Throttle counters. Keys are global strings that already name their instance where they have one. */
export interface ThrottleStore {
  /** Adds one failure to every key in one atomic statement; returns the new counts by key. */
  recordFailure(keys: FailureKey[], now: Date): Promise<Map<string, number>>;
  /** The states of these keys (absent: no failures). */
  find(keys: string[]): Promise<Map<string, ThrottleState>>;
}

export type { ThrottleState };
