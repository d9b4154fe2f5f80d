import { newIdSecretToken, parseIdSecretToken } from '../../crypto/token.ts';

/**
 * Operator sessions are short (checklist SES-05 for privileged users): 15 minutes idle, 2 hours
 * at most; a login waiting at a step lives 10 minutes.
 */
export const OPERATOR_IDLE_SECONDS = 15 * 60;
export const OPERATOR_ABSOLUTE_SECONDS = 2 * 60 * 60;
export const OPERATOR_PENDING_SECONDS = 10 * 60;

/** How long a new operator session at `stage` lives (before a step-up's clamp to the old end). */
export function operatorSessionLifetimeSeconds(stage: 'done' | 'verify' | 'setup'): number {
  return stage === 'done' ? OPERATOR_ABSOLUTE_SECONDS : OPERATOR_PENDING_SECONDS;
}

/**
 * An operator's cookie value is `op.` + an `id.secret` token. Why a prefix: the two kinds of
 * session can never be mistaken for each other; an instance route does not parse an operator
 * token and a support route does not parse a user's (ADM-06: a separate channel).
 */
export const OPERATOR_TOKEN_PREFIX = 'op.';

export function newOperatorToken(): { id: string; token: string; secretHash: string } {
  const token = newIdSecretToken();
  return { id: token.id, token: `${OPERATOR_TOKEN_PREFIX}${token.token}`, secretHash: token.secretHash };
}

export function isOperatorToken(value: string | undefined): boolean {
  return value !== undefined && value.startsWith(OPERATOR_TOKEN_PREFIX);
}

export function parseOperatorToken(value: string | undefined): { id: string; secret: string } | null {
  return isOperatorToken(value) ? parseIdSecretToken(value!.slice(OPERATOR_TOKEN_PREFIX.length)) : null;
}
