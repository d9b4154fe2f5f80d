import type { NewAuditEvent } from '../audit/audit-event.ts';
import type { SealedMail } from '../mail/mail.ts';
import type { ThrottleKey, ThrottleMap, ThrottlePolicy, ThrottleState, ThrottleStates } from './throttle.ts';

export interface FailureKey {
  key: ThrottleKey;
  /** null: never forget; else start over after this many quiet seconds. */
  decaySeconds: number | null;
}

/** Throttle counters, one row per key (scope, instance slug, subject); global, not per instance. */
export interface ThrottleStore {
  /**
   * Adds one failure to every key in one atomic statement that also writes `audit` and queues
   * `mails`; returns the new counts by key. With no keys the statement still runs (same work).
   */
  recordFailure(
    keys: FailureKey[],
    now: Date,
    audit?: NewAuditEvent[],
    mails?: Array<{ instanceId: string | null; mail: SealedMail }>,
  ): Promise<ThrottleMap<number>>;
  /**
   * Adds one attempt to the client address key `ip` unless it is locked under its policy, and then
   * one to `key` unless that is locked under `policy`, in one atomic statement. Returns the new
   * count of `key`; 'ip_locked' when the address is locked (nothing changed); 'locked' when `key`
   * is locked (the address still counts the attempt: a refused attempt is a failure from there).
   */
  reserve(
    key: ThrottleKey,
    policy: ThrottlePolicy,
    now: Date,
    ip?: { key: ThrottleKey; policy: ThrottlePolicy },
  ): Promise<number | 'locked' | 'ip_locked'>;
  /** Deletes these keys (a success); an address key gets its reserved attempt back instead. */
  clear(keys: ThrottleKey[]): Promise<void>;
  /** The states of these keys (absent: no failures). */
  find(keys: ThrottleKey[]): Promise<ThrottleStates>;
}

export type { ThrottleState };
