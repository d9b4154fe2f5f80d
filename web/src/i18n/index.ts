/**
 * The web UI's words (issue 13): every sentence a person reads lives in one catalogue per
 * language (en.ts, the source, and its translations), chosen once at start and again whenever
 * the person picks another language. Components read them with useMessages(); code outside
 * components (errors.ts, audit-words.ts, time.ts) with messages() at the moment it runs.
 */
import { useSyncExternalStore } from 'react';
import { de } from './de.ts';
import { en, type Messages } from './en.ts';
import { chooseLanguage, LANGUAGES, localeFor, type Language } from './language.ts';

export type { Messages } from './en.ts';
export { LANGUAGE_NAMES, LANGUAGES, type Language } from './language.ts';

const CATALOGUES: Record<Language, Messages> = { en, de };
const STORAGE_KEY = 'keyward:language';
const CHANGE_EVENT = 'keyward:language';

// Why the typeof checks: time.ts and errors.ts also run in the unit tests, outside a browser.
function stored(): string | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages.length > 0 ? navigator.languages : [navigator.language];
}

let current: Language = chooseLanguage(stored(), browserLanguages());
if (typeof document !== 'undefined') document.documentElement.lang = current;

export function language(): Language {
  return current;
}

/** The chosen language's catalogue, as it is now (read it while rendering, never keep it). */
export function messages(): Messages {
  return CATALOGUES[current];
}

/** The locale Intl formats dates with: the browser's own variant of the chosen language, or the language. */
export function locale(): string {
  return localeFor(current, browserLanguages());
}

/** The person picked a language: kept for the next visit, `<html lang>` follows, and every page re-renders in it. */
export function setLanguage(next: Language): void {
  if (!LANGUAGES.includes(next) || next === current) return;
  current = next;
  document.documentElement.lang = next;
  try {
    window.localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Storage off (private mode): the choice lasts until the page is reloaded.
  }
  window.dispatchEvent(new Event(CHANGE_EVENT));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener(CHANGE_EVENT, onChange);
  return () => window.removeEventListener(CHANGE_EVENT, onChange);
}

/** The current language, re-rendering the component when the person picks another one. */
export function useLanguage(): Language {
  return useSyncExternalStore(subscribe, language);
}

/** The current language's catalogue, re-rendering the component when the language changes. */
export function useMessages(): Messages {
  return CATALOGUES[useLanguage()];
}
