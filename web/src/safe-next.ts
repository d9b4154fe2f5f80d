/** Where a login may lead back to (`?next=`): no DOM here, so the unit tests run it too. */
/** The app's pages a login may lead back to (the ones that need a session). */
const NEXT_PAGES = /^\/(?:profile|settings)(?:[/?#]|$)/;

/**
 * `next` when it is a path of this app's signed-in pages, else null. Why so strict: a login that
 * goes wherever a parameter says is an open redirect (OWASP ASVS 5.0 V3.7 / CWE-601). Only a
 * relative path starting with one "/" passes: no scheme (javascript:, https:), no "//host" or
 * "/\\host" (browsers read a backslash as a slash), no control characters, and the URL it
 * resolves to must stay on this origin and under /profile or /settings.
 */
export function safeNext(next: string | null | undefined, origin: string): string | null {
  if (!next || next.length > 2048 || !next.startsWith('/')) return null;
  if (next.startsWith('//') || next.includes('\\') || /[\u0000-\u001f\u007f]/.test(next)) return null;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  const path = url.pathname + url.search + url.hash;
  return NEXT_PAGES.test(path) ? path : null;
}
