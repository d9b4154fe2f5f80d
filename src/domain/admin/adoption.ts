import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { requireAdminRole } from '../instance/require-admin.ts';
import { addSeconds } from '../shared/clock.ts';
import { countByStatus } from './list-users.ts';

export const ADOPTION_DAYS = 90;

/** The adoption chart: a point per day (kept by housekeeping), with today's live counts last. */
export async function twoFactorAdoption(
  deps: Deps,
  active: ActiveSession,
): Promise<{ days: Array<{ day: string; active: number; pending: number; off: number }> }> {
  requireAdminRole(active);
  const now = deps.clock.now();
  const today = now.toISOString().slice(0, 10);
  const history = await deps.stores.forInstance(active.instance.id).directory.adoption(addSeconds(now, -ADOPTION_DAYS * 86400));
  const counts = countByStatus(await deps.stores.forInstance(active.instance.id).directory.counts(), active.instance.policy);
  return { days: [...history.filter((d) => d.day !== today), { day: today, ...counts }] };
}
