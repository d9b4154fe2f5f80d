import { userEvent, type AuditClient } from '../audit/audit-event.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import type { KnownLocation } from './known-location.ts';

/** The user's known locations (RD-09), marking the ones this browser holds. */
export async function listKnownLocations(
  deps: Deps,
  active: ActiveSession,
  presentedIds: string[],
): Promise<Array<KnownLocation & { current: boolean }>> {
  const list = await deps.stores.forInstance(active.instance.id).knownLocations.listForUser(active.user.id, deps.clock.now());
  return list.map((location) => ({ ...location, current: presentedIds.includes(location.id) }));
}

/** Revokes one of the user's known locations; another user's id is simply not found. */
export async function revokeKnownLocation(deps: Deps, active: ActiveSession, id: string, client: AuditClient): Promise<void> {
  await deps.stores.transaction(async (stores) => {
    const deleted = await stores.forInstance(active.instance.id).knownLocations.delete(active.user.id, id);
    if (!deleted) throw new DomainError('not_found', 'No such known location.');
    await stores.audit.record([
      userEvent(deps.clock.now(), 'known_location.revoked', active.instance.id, active.user, client, { count: 1 }),
    ]);
  });
}

export async function revokeAllKnownLocations(deps: Deps, active: ActiveSession, client: AuditClient): Promise<number> {
  return deps.stores.transaction(async (stores) => {
    const count = await stores.forInstance(active.instance.id).knownLocations.deleteAllForUser(active.user.id);
    if (count > 0)
      await stores.audit.record([
        userEvent(deps.clock.now(), 'known_location.revoked', active.instance.id, active.user, client, { count }),
      ]);
    return count;
  });
}
