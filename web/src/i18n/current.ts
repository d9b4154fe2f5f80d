/**
 * The language chosen now: the person's choice (the picker, kept in localStorage), else the
 * browser's languages; `<html lang>` and the dates of time.ts follow it.
 */
import { setDateLocale } from '../time.ts';
import { chooseLanguage, LANGUAGES, localeFor, type Language } from './language.ts';

const STORAGE_KEY = 'keyward:language';
const CHANGE_EVENT = 'keyward:language';

function stored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function browserLanguages(): readonly string[] {
  return navigator.languages.length > 0 ? navigator.languages : [navigator.language];
}

let current: Language = chooseLanguage(stored(), browserLanguages());
document.documentElement.lang = current;
setDateLocale(locale());

export function language(): Language {
  return current;
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
  setDateLocale(locale());
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Storage off (private mode): the choice lasts until the page is reloaded.
  }
  window.dispatchEvent(new Event(CHANGE_EVENT));
}

/** Calls `onChange` whenever the language changes; returns the unsubscribe. */
export function onLanguageChange(onChange: () => void): () => void {
  window.addEventListener(CHANGE_EVENT, onChange);
  return () => window.removeEventListener(CHANGE_EVENT, onChange);
}
