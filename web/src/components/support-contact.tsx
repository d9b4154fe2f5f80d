/**
 * The vendor's support contact (KEYWARD_SUPPORT_CONTACT, GET /support-contact): where an instance
 * administrator who lost their device turns, since nobody in their instance can reset them
 * (SPEC rule 9; issue 13). Without one set, the words name the support of the keyward provider
 * and no link.
 */
import { useEffect, useState } from 'react';
import { api } from '../api.ts';

type Contact = { email: string | null; url: string | null };

let loaded: Promise<Contact> | null = null;

/** Asked once per page load: it is the vendor's setting and does not change while the page is open. */
export function useSupportContact(): Contact | null {
  const [contact, setContact] = useState<Contact | null>(null);
  useEffect(() => {
    loaded ??= api.supportContact().catch(() => ({ email: null, url: null }));
    let live = true;
    void loaded.then((found) => live && setContact(found));
    return () => {
      live = false;
    };
  }, []);
  return contact;
}

/** "the support of your keyward provider (support@vendor.test)", the contact a link. */
export function VendorSupport() {
  const contact = useSupportContact();
  const link = contact?.email ? (
    <a href={`mailto:${contact.email}`}>{contact.email}</a>
  ) : contact?.url ? (
    <a href={contact.url} rel="noreferrer" target="_blank">
      {contact.url}
    </a>
  ) : null;
  return link ? <>the support of your keyward provider ({link})</> : <>the support of your keyward provider</>;
}

/**
 * Who helps someone whose account is disabled or who lost their device, as the server's helpFor
 * (src/domain/support/support-contact.ts) says it: a member asks their administrators; an
 * administrator, whom nobody in their instance may be able to reset, the vendor's support.
 */
export function WhoHelps({ role, instanceName }: { role: 'admin' | 'member'; instanceName?: string }) {
  if (role === 'admin') return <VendorSupport />;
  return <>an administrator of {instanceName ?? 'your organisation'}</>;
}
