/**
 * A sentence for a person from a schema refusal (issue 13): "Invalid q: must NOT have more than
 * 254 characters" reached the web page as it was. The code (`invalid_request`) and the field stay
 * the contract; the message says what is wrong with that field in words, never the schema's text.
 */
interface Refusal {
  keyword: string;
  params: Record<string, unknown>;
}

/** How a field is named in a sentence; the last part of its path, else "This value". */
const FIELD_NAMES: Record<string, string> = {
  q: 'The search',
  email: 'The email address',
  name: 'The name',
  password: 'The password',
  currentPassword: 'The current password',
  newPassword: 'The new password',
  code: 'The code',
  backupCode: 'The backup code',
  instance: 'The instance',
  slug: 'The short name',
  role: 'The role',
  plan: 'The plan',
  limit: 'The page size',
  cursor: 'The page',
  token: 'The link',
  reference: 'The reference',
  notes: 'The notes',
  method: 'The method',
  redirectUris: 'The redirect URIs',
};

export function fieldName(field: string): string {
  const last =
    field
      .split('.')
      .filter((part) => !/^\d+$/.test(part))
      .pop() ?? '';
  return (
    FIELD_NAMES[last] ?? (last && last !== 'body' && last !== 'querystring' && last !== 'params' ? `The field "${last}"` : 'The request')
  );
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The sentence for one refusal of `field`. */
export function validationSentence(field: string, refusal: Refusal | undefined): string {
  const subject = fieldName(field);
  const p = refusal?.params ?? {};
  switch (refusal?.keyword) {
    case 'required':
      return `${fieldName(typeof p.missingProperty === 'string' ? p.missingProperty : field)} is missing.`;
    case 'maxLength':
      return `${subject} is too long: use at most ${plural(Number(p.limit), 'character')}.`;
    case 'minLength':
      return Number(p.limit) <= 1
        ? `${subject} is empty: fill it in.`
        : `${subject} is too short: use at least ${plural(Number(p.limit), 'character')}.`;
    case 'maxItems':
      return `${subject} has too many entries: at most ${Number(p.limit)}.`;
    case 'minItems':
      return `${subject} needs at least ${Number(p.limit)} ${Number(p.limit) === 1 ? 'entry' : 'entries'}.`;
    case 'maximum':
      return `${subject} is too large: at most ${String(p.limit)}.`;
    case 'minimum':
      return `${subject} is too small: at least ${String(p.limit)}.`;
    case 'enum':
      return `${subject} is not one of the choices: ${(p.allowedValues as unknown[] | undefined)?.join(', ') ?? 'see the list'}.`;
    case 'type':
      return `${subject} has the wrong form: send ${p.type === 'integer' ? 'a whole number' : p.type === 'boolean' ? 'true or false' : `a ${String(p.type)}`}.`;
    case 'additionalProperties':
      return `${fieldName(typeof p.additionalProperty === 'string' ? p.additionalProperty : '')} is not expected here.`;
    case 'pattern':
    case 'format':
      return `${subject} is not in the expected form.`;
    default:
      return `${subject} is not valid.`;
  }
}
