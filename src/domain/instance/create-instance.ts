import { SYSTEM_ACTOR, userEvent, type AuditActor } from '../audit/audit-event.ts';
import { randomId } from '../../crypto/random.ts';
import type { Deps } from '../shared/deps.ts';
import { checkPasswordForAccount, minPasswordLength, NEW_ACCOUNT } from '../account/password-rules.ts';
import { parseEmail, parsePersonName, type User } from '../account/user.ts';
import { accountCreatedMail, loginUrl } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import type { Stores } from '../shared/stores.ts';
import { DEFAULT_POLICY } from '../policy/policy.ts';
import { DEFAULT_KNOWN_LOCATION_SETTINGS, parseInstanceName, parsePlan, parseSlug, type Instance } from './instance.ts';

export interface CreateInstanceInput {
  slug: string;
  name: string;
  plan: string;
  admin: { email: string; name?: string; password: string };
}

/**
 * Creates an instance and its first administrator in one transaction, with the welcome mail in
 * the outbox. `inTransaction` lets first-run setup add its own steps to the same transaction.
 */
export async function createInstance(
  deps: Deps,
  input: CreateInstanceInput,
  inTransaction?: (stores: Stores) => Promise<void>,
  actor: AuditActor = SYSTEM_ACTOR,
): Promise<{ instance: Instance; admin: User }> {
  const instance: Instance = {
    id: randomId(),
    slug: parseSlug(input.slug, 'instance.slug'),
    name: parseInstanceName(input.name, 'instance.name'),
    plan: parsePlan(input.plan, 'instance.plan'),
    createdAt: deps.clock.now(),
    knownLocations: DEFAULT_KNOWN_LOCATION_SETTINGS,
    policy: DEFAULT_POLICY,
  };
  const email = parseEmail(input.admin.email, 'admin.email');
  const name = parsePersonName(input.admin.name ?? email.split('@')[0]!, 'admin.name');
  const password = checkPasswordForAccount(
    input.admin.password,
    {
      minLength: minPasswordLength(DEFAULT_POLICY, NEW_ACCOUNT, deps.clock.now()),
      blocklist: deps.blocklist,
      context: [email, name, instance.slug, instance.name],
    },
    'admin.password',
  );
  // Why outside the transaction: argon2id takes tens of ms; no row lock should wait for it.
  const passwordHash = await deps.hasher.hash(password);
  const admin = await deps.stores.transaction(async (stores) => {
    await inTransaction?.(stores);
    await stores.instances.insert(instance);
    const user = await stores.forInstance(instance.id).users.insert({
      id: randomId(),
      email,
      name,
      role: 'admin',
      passwordHash,
      passwordChangedAt: deps.clock.now(),
    });
    await stores.audit.record([
      userEvent(
        deps.clock.now(),
        'user.created',
        instance.id,
        user,
        { ip: null, userAgent: null },
        { role: 'admin', firstAdmin: true },
        actor,
      ),
    ]);
    const mail = accountCreatedMail({
      to: email,
      name,
      instanceName: instance.name,
      instanceSlug: instance.slug,
      loginUrl: loginUrl(deps.publicUrl, instance.slug),
    });
    await stores.outbox.enqueue(instance.id, sealMail(deps.secretBox, mail), deps.clock.now());
    return user;
  });
  deps.mailQueued();
  return { instance, admin };
}
