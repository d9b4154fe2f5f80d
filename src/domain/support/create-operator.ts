import { randomId } from '../../crypto/random.ts';
import type { Deps } from '../shared/deps.ts';
import { checkPasswordForAccount } from '../account/password-rules.ts';
import { DEFAULT_POLICY } from '../policy/policy.ts';
import { parseEmail, parsePersonName } from '../account/user.ts';
import type { Operator } from './operator-store.ts';

/** Stores a support operator (their login and mandatory 2FA come with the support flow). */
export async function createOperator(deps: Deps, input: { email: string; name?: string; password: string }): Promise<Operator> {
  const email = parseEmail(input.email);
  const name = parsePersonName(input.name ?? email.split('@')[0]!);
  const passwordHash = await deps.hasher.hash(
    checkPasswordForAccount(input.password, { minLength: DEFAULT_POLICY.password.minLength, blocklist: deps.blocklist, context: [email, name] }, 'password'),
  );
  return deps.stores.operators.insert({ id: randomId(), email, name, passwordHash });
}
