/**
 * Which language the web UI speaks (issue 13): the person's choice (the language picker, kept in
 * localStorage), else the first of the browser's `navigator.languages` that keyward speaks, else
 * English. No DOM here, so the unit tests run it too.
 */
export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language in its own words, as the picker offers it (never translated). */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', de: 'Deutsch' };

export const DEFAULT_LANGUAGE: Language = 'en';

function supported(tag: string | null | undefined): Language | null {
  const base = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.find((language) => language === base) ?? null;
}

/** The stored choice when it is one keyward speaks, else the browser's first supported language, else English. */
export function chooseLanguage(stored: string | null, preferred: readonly string[]): Language {
  const chosen = supported(stored);
  if (chosen) return chosen;
  for (const tag of preferred) {
    const found = supported(tag);
    if (found) return found;
  }
  return DEFAULT_LANGUAGE;
}

/**
 * The locale dates and numbers use: the browser's own when it is a variant of the chosen language
 * (en-GB keeps "3 Dec", en-US "Dec 3"), else the language itself ("de").
 */
export function localeFor(language: Language, preferred: readonly string[]): string {
  return preferred.find((tag) => supported(tag) === language) ?? language;
}
