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
