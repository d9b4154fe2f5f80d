/**
 * The vendor's support contact (KEYWARD_SUPPORT_CONTACT): where an instance administrator who lost
 * their device turns, since no one in their instance can reset them (SPEC rule 9; issue 13). An
 * email address or an http(s) URL (a help desk form); absent, the pages and mails say "the support
 * of your keyward provider" without a way to reach it.
 */
export type SupportContact = { email: string } | { url: string };

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

/** Parses the setting; null for a value that is neither (config.ts turns that into a start error). */
export function parseSupportContact(raw: string): SupportContact | null {
  const value = raw.trim();
  if (EMAIL.test(value)) return { email: value };
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? { url: url.href } : null;
  } catch {
    return null;
  }
}

/** The contact as a mail's text shows it ("support@vendor.test", "https://help.vendor.test/"); null without one. */
export function supportContactText(contact: SupportContact | null | undefined): string | null {
  if (!contact) return null;
  return 'email' in contact ? contact.email : contact.url;
}
