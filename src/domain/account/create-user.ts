import { randomId } from '../../crypto/random.ts';
import type { Deps } from '../shared/deps.ts';
import { accountCreatedMail, loginUrl } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { getInstanceBySlug } from './find-instance.ts';
import { checkPasswordForAccount, minPasswordLength, NEW_ACCOUNT } from './password-rules.ts';
import { parseEmail, parsePersonName, parseRole, type User } from './user.ts';
import { sendInvitation } from './password-links.ts';
import { SYSTEM_ACTOR, userEvent, type AuditActor } from '../audit/audit-event.ts';

export interface CreateUserInput {
  instanceSlug: string;
  email: string;
  name?: string;
  role: string;
  /** null: the user gets no password yet and cannot log in until one is set. */
  password: string | null;
}

/** Creates one user of an instance and queues the account mail in the same transaction. */
export async function createUser(deps: Deps, input: CreateUserInput, actor: AuditActor = SYSTEM_ACTOR): Promise<User> {
  const instance = await getInstanceBySlug(deps, input.instanceSlug);
  const email = parseEmail(input.email);
  const name = parsePersonName(input.name ?? email.split('@')[0]!);
  const role = parseRole(input.role);
  const rules = {
    minLength: minPasswordLength(instance.policy, NEW_ACCOUNT, deps.clock.now()),
    blocklist: deps.blocklist,
    context: [email, name, instance.slug, instance.name],
  };
  const password = input.password === null ? null : checkPasswordForAccount(input.password, rules, 'password');
  const passwordHash = password === null ? null : await deps.hasher.hash(password);
  const user = await deps.stores.transaction(async (stores) => {
    const created = await stores.forInstance(instance.id).users.insert({
      id: randomId(),
      email,
      name,
      role,
      passwordHash,
      passwordChangedAt: passwordHash ? deps.clock.now() : null,
    });
    // A new account (an administrator above all) is a grant of access: it leaves a trace too.
    await stores.audit.record([
      userEvent(deps.clock.now(), 'user.created', instance.id, created, { ip: null, userAgent: null }, { role }, actor),
    ]);
    // A user without a password cannot log in yet: their mail is the invitation (issue 13: from
    // the CLI as from Add user), queued in this transaction, so no account is left without a way in.
    if (passwordHash === null) {
      await sendInvitation({ ...deps, stores }, instance, created);
      return created;
    }
    const mail = accountCreatedMail({
      to: email,
      name,
      instanceName: instance.name,
      instanceSlug: instance.slug,
      loginUrl: loginUrl(deps.publicUrl, instance.slug),
    });
    await stores.outbox.enqueue(instance.id, sealMail(deps.secretBox, mail), deps.clock.now());
    return created;
  });
  deps.mailQueued();
  return user;
}
