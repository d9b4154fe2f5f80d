/**
 * How support (or the host's operator) verified the identity of the person asking (SPEC rule 9).
 * Issue 13: only what an operator can actually check. keyward stores no phone number, photo or
 * document to compare with, so each method names where the operator's comparison comes from:
 * the instance's other administrators (listed in the console and emailed after the reset), the
 * vendor's own customer records (contract or billing contact, a phone number from them), or an
 * official ID shown on a video call against the account's name. Why not a document sent in: a
 * scan can be edited and there is nothing to check it against (NIST SP 800-63A-4 §2.4.2: evidence
 * is validated against its issuing source, not by sight of a copy), so `id_document` is no longer
 * offered; it stays readable in events recorded before.
 */
export const VERIFICATION_METHODS = ['admin_confirmation', 'contract_contact', 'phone_callback', 'video_call', 'other'] as const;
/** Methods of events recorded before issue 13, read but no longer accepted. */
export const LEGACY_VERIFICATION_METHODS = ['id_document'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number] | (typeof LEGACY_VERIFICATION_METHODS)[number];
