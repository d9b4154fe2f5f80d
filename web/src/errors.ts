/**
 * Turning an ApiError into the sentence a person reads. The UI branches on codes, never on
 * messages, and the words come from the catalogue (web/src/i18n): per code, finer per reason
 * (weak_password, locked) and per field where the server names one.
 */
import { ApiError } from './api.ts';
import { language, messages } from './i18n/index.ts';

/**
 * The language the server writes its `message` in. In it, the server's own sentence is the most
 * precise one (it names the instance, the minimum length, the field); in any other language the
 * catalogue's sentence for the code stands in for it.
 */
const SERVER_LANGUAGE = 'en';

/** "1 minute", "5 minutes", "2 hours" from a Retry-After in seconds (rounded up, never "0"). */
export function formatWait(seconds: number): string {
  const words = messages().errors;
  if (seconds < 60) return words.seconds(seconds <= 1 ? 1 : Math.ceil(seconds));
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return words.minutes(minutes);
  return words.hours(Math.ceil(minutes / 60));
}

/** True for the answers that mean "wait before trying again" (423 locked, 429 rate_limited). */
export function isLockout(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.code === 'locked' || error.code === 'rate_limited');
}

/** The catalogue's sentence for a refusal; undefined for a code this build does not know (a newer server). */
export function catalogueText(error: ApiError): string | undefined {
  const words = messages().errors;
  if (error.code === 'invalid_credentials' && error.field === 'currentPassword') return words.wrongCurrentPassword;
  if (error.code === 'invalid_credentials' && error.field === 'code') return words.wrongCode;
  if (error.code === 'invalid_request' && error.field === 'code') return words.codeNeeded;
  if (error.reason && (error.code === 'weak_password' || error.code === 'locked' || error.code === 'account_disabled'))
    return words.reasons[error.reason];
  return Object.hasOwn(words.codes, error.code) ? words.codes[error.code] : undefined;
}

/** A refusal the page has already put into catalogue words (a reset refused for a reason it knows). */
export class SaidError extends Error {
  override name = 'SaidError';
}

/** The sentence for a refusal, with the wait spelled out for lockouts; `fallback` for anything but an ApiError. */
export function errorText(error: unknown, fallback: string): string {
  if (error instanceof SaidError) return error.message;
  if (!(error instanceof ApiError)) return fallback;
  const ownWords = error.code === 'network' || error.code === 'http_error';
  const sentence = language() === SERVER_LANGUAGE && !ownWords && error.message ? error.message : (catalogueText(error) ?? error.message);
  if (isLockout(error) && error.retryAfterSeconds !== undefined)
    return `${sentence} ${messages().errors.tryAgainIn(formatWait(error.retryAfterSeconds))}`;
  return sentence;
}

/** The login this page belongs to has ended (expired after 15 minutes, or replaced): start over. */
export function isLoginGone(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'unauthenticated' || error.code === 'forbidden');
}
