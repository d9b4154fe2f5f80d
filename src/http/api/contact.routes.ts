import type { RoutePlugin } from '../type-provider.ts';
import type { Deps } from '../../domain/shared/deps.ts';

const contactSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'url'],
  description: "The vendor's support contact (KEYWARD_SUPPORT_CONTACT); both null when none is set.",
  properties: { email: { type: ['string', 'null'] }, url: { type: ['string', 'null'] } },
} as const;

/**
 * GET /support-contact, public: the login's "I don't have my device" and My Profile point an
 * administrator who lost their device there (issue 13). Public because the way out is needed
 * before a login succeeds; it is the vendor's public help desk, no secret.
 */
export function contactRoutes(deps: Deps): RoutePlugin {
  return async (app) => {
    app.get('/support-contact', { schema: { response: { 200: contactSchema } } }, async () => {
      const contact = deps.supportContact ?? null;
      return { email: contact && 'email' in contact ? contact.email : null, url: contact && 'url' in contact ? contact.url : null };
    });
  };
}
