/** How support (or the host's operator) verified the identity of the person asking (SPEC rule 9). */
export const VERIFICATION_METHODS = ['video_call', 'phone_callback', 'id_document', 'admin_confirmation', 'other'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];
