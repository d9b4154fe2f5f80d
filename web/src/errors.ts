/** Turning an ApiError into the sentence a person reads. The UI branches on codes, never on messages. */
import { ApiError } from './api.ts';

/** "1 minute", "5 minutes", "2 hours" from a Retry-After in seconds (rounded up, never "0"). */
export function formatWait(seconds: number): string {
  if (seconds < 60) return seconds <= 1 ? '1 second' : `${Math.ceil(seconds)} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hours`;
}

/** True for the answers that mean "wait before trying again" (423 locked, 429 rate_limited). */
export function isLockout(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.code === 'locked' || error.code === 'rate_limited');
}

/** The server's message, with the wait spelled out for lockouts. */
export function errorText(error: unknown, fallback: string): string {
  if (!(error instanceof ApiError)) return fallback;
  if (isLockout(error) && error.retryAfterSeconds !== undefined)
    return `${error.message} Try again in ${formatWait(error.retryAfterSeconds)}.`;
  return error.message;
}

/** The login this page belongs to has ended (expired after 15 minutes, or replaced): start over. */
export function isLoginGone(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'unauthenticated' || error.code === 'forbidden');
}
