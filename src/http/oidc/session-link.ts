/**
 * Which keyward session a provider request acts for (docs/oidc.md "Logout"): the interaction
 * policy records it when the browser's keyward session settles an authorization, and the adapter
 * stores it with what that request saves (the provider's Session, the Grant, the code). The
 * library's adapter calls carry no request, so the request is the library's own async-local one
 * (`Provider.ctx`, set around every route).
 */
import Provider from 'oidc-provider';

const linked = new WeakMap<object, string>();

/** The request acts for this keyward session (its id). */
export function linkRequest(ctx: object, keywardSessionId: string): void {
  linked.set(ctx, keywardSessionId);
}

/** The keyward session the current provider request acts for, if one was recorded. */
export function linkedKeywardSession(): string | null {
  const ctx = Provider.ctx as object | undefined;
  return (ctx && linked.get(ctx)) ?? null;
}
