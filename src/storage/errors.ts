import { DomainError } from '../domain/shared/errors.ts';

/** PostgreSQL's unique_violation, raised the same way by pg and PGlite. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** Runs `work`, turning a unique violation into DomainError('conflict'). */
export async function conflictOnDuplicate<T>(work: () => Promise<T>, field: string, message: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('conflict', message, { field });
    throw error;
  }
}

/**
 * SQLSTATEs that say the server is going away or not there yet: class 08 (connection exception),
 * 57P01 admin_shutdown (`pg_ctl stop -m fast`, pg_terminate_backend), 57P02 crash_shutdown (another
 * backend crashed, or `-m immediate`), 57P03 cannot_connect_now (starting up, shutting down,
 * recovering) and 53300 too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** The socket's errors when PostgreSQL does not answer (refused, reset, unreachable, timed out). */
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * pg's own errors for a connection that died under it carry no code, only these messages
 * (pg/lib/client.js): a socket closed during a query, or a client that already saw its socket die.
 */
const UNAVAILABLE_MESSAGES = [/^Connection terminated/, /^Client has encountered a connection error and is not queryable/];

/**
 * Whether an error means the database cannot be reached now (it is restarting, crashed, or the
 * network is down), rather than anything about the request: such a request may succeed when
 * sent again. pg and node's net errors only; PGlite, in-process, has no connection to lose.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
  if (typeof message === 'string' && typeof code !== 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // net.connect to a name with several addresses fails with an AggregateError of each attempt's.
  return Array.isArray(errors) && errors.length > 0 && errors.every(isDatabaseUnavailable);
}

/** How long a client is asked to wait (Retry-After) before sending again while the database is away. */
export const DATABASE_UNAVAILABLE_RETRY_SECONDS = 2;

/** `error` as DomainError('service_unavailable') when the database cannot be reached, else as it is; the original stays its `cause`. */
export function unavailableAsDomainError(error: unknown): unknown {
  if (error instanceof DomainError || !isDatabaseUnavailable(error)) return error;
  const unavailable = new DomainError('service_unavailable', 'The service is unavailable for a moment. Try again shortly.', {
    retryAfterSeconds: DATABASE_UNAVAILABLE_RETRY_SECONDS,
  });
  unavailable.cause = error;
  return unavailable;
}
