import { randomId } from '../../crypto/random.ts';
import type { Deps } from '../shared/deps.ts';
import { checkPasswordForAccount } from '../account/password-rules.ts';
import { DEFAULT_POLICY } from '../policy/policy.ts';
import { parseEmail, parsePersonName } from '../account/user.ts';
import type { Operator } from './operator-store.ts';
import { DomainError } from '../shared/errors.ts';
import { operatorActor } from '../audit/audit-event.ts';

/** Stores a support operator (their login and mandatory 2FA come with the support flow). */
export async function createOperator(deps: Deps, input: { email: string; name?: string; password: string }): Promise<Operator> {
  const email = parseEmail(input.email);
  const name = parsePersonName(input.name ?? email.split('@')[0]!);
  const passwordHash = await deps.hasher.hash(
    checkPasswordForAccount(
      input.password,
      { minLength: DEFAULT_POLICY.password.minLength, blocklist: deps.blocklist, context: [email, name] },
      'password',
    ),
  );
  return deps.stores.operators.insert({ id: randomId(), email, name, passwordHash });
}

/**
 * `keyward operator reset-2fa`: an operator who lost their device sets a new app up at their next
 * login. Only from the host's CLI, never from a session: a stolen operator password must not be
 * able to enrol another app. The audit log keeps who ran it.
 */
export async function resetOperatorTwoFactor(deps: Deps, input: { email: string; operator: string }): Promise<Operator> {
  return deps.stores.transaction(async (stores) => {
    const operator = await stores.operators.resetTotp(input.email);
    if (!operator) throw new DomainError('not_found', `No operator ${input.email}.`);
    await stores.audit.record([
      {
        instanceId: null,
        at: deps.clock.now(),
        action: 'two_factor.reset',
        actor: { type: 'cli', id: null, label: `CLI: ${input.operator}` },
        target: { id: operator.id, label: operatorActor(operator).label },
        ip: null,
        userAgent: 'keyward CLI',
        details: { by: 'cli', operator: true },
      },
    ]);
    return operator;
  });
}

/** `keyward operator list`: every operator, with whether their app is set up and whether they are disabled. */
export async function listOperators(deps: Deps) {
  return (await deps.stores.operators.list()).map((operator) => ({
    id: operator.id,
    email: operator.email,
    name: operator.name,
    createdAt: operator.createdAt.toISOString(),
    twoFactor: operator.associated ? 'set up' : 'at the next login',
    status: operator.disabledAt ? 'disabled' : 'active',
    ...(operator.disabledAt ? { disabledAt: operator.disabledAt.toISOString() } : {}),
  }));
}

/**
 * `keyward operator disable`: someone who left the vendor's support team. Only from the host's
 * CLI, as creating one is. Their sessions and device tokens end at once and their password no
 * longer logs in (answered as for an unknown email: OWASP ASVS 5.0 V6.3.8, no enumeration); the
 * row stays, so the audit log still names them. Audited.
 */
export async function disableOperator(deps: Deps, input: { email: string; operator: string }) {
  return deps.stores.transaction(async (stores) => {
    const operator = await stores.operators.disable(input.email, deps.clock.now());
    if (!operator) throw new DomainError('not_found', `No operator ${input.email}.`);
    await stores.audit.record([
      {
        instanceId: null,
        at: deps.clock.now(),
        action: 'support.operator_disabled',
        actor: { type: 'cli', id: null, label: `CLI: ${input.operator}` },
        target: { id: operator.id, label: operatorActor(operator).label },
        ip: null,
        userAgent: 'keyward CLI',
        details: { by: 'cli' },
      },
    ]);
    return {
      id: operator.id,
      email: operator.email,
      name: operator.name,
      status: 'disabled',
      disabledAt: operator.disabledAt.toISOString(),
    };
  });
}
