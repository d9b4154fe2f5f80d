import type { Role } from '../account/user.ts';

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

/**
 * Who helps a person whose account is disabled or who lost their device (issue 13; SPEC rules 8
 * and 9): a member's own administrators; an administrator the vendor's support, since nobody in
 * their instance may be left, or allowed, to reset or enable them. The one home of this rule:
 * the login's `account_disabled`, the mails and (as web/src/components/support-contact.tsx's
 * WhoHelps) the pages ask it.
 */
export type Helper = 'administrators' | 'support';

export function helperFor(role: Role): Helper {
  return role === 'admin' ? 'support' : 'administrators';
}

/** "an administrator of your organisation" · "the support team of your keyward provider (help@vendor.test)". */
export function helpFor(role: Role, contact: SupportContact | null | undefined): string {
  if (helperFor(role) === 'administrators') return 'an administrator of your organisation';
  const text = supportContactText(contact);
  return `the support team of your keyward provider${text ? ` (${text})` : ''}`;
}
