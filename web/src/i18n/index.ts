/**
 * The web UI's words (issue 13): every sentence a person reads lives in one catalogue per
 * language (en.ts, the source, and its translations), chosen at start (current.ts) and again
 * whenever the person picks another language. Components read them with useMessages(); code
 * outside components (errors.ts, audit-words.ts) with messages() at the moment it runs.
 */
import { useSyncExternalStore } from 'react';
import { language, onLanguageChange } from './current.ts';
import { de } from './de.ts';
import { en, type Messages } from './en.ts';
import type { Language } from './language.ts';

export type { Messages } from './en.ts';
export { language, locale, setLanguage } from './current.ts';
export { LANGUAGE_NAMES, LANGUAGES, type Language } from './language.ts';

const CATALOGUES: Record<Language, Messages> = { en, de };

/** The chosen language's catalogue, as it is now (read it while rendering, never keep it). */
export function messages(): Messages {
  return CATALOGUES[language()];
}

/** The current language, re-rendering the component when the person picks another one. */
export function useLanguage(): Language {
  return useSyncExternalStore(onLanguageChange, language);
}

/** The current language's catalogue, re-rendering the component when the language changes. */
export function useMessages(): Messages {
  return CATALOGUES[useLanguage()];
}
