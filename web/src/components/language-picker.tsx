/**
 * The language picker of the pages without a session (login, codes, setup, links): each
 * language named in its own words, the choice kept for the next visit (web/src/i18n).
 */
import { useId } from 'react';
import { LANGUAGE_NAMES, LANGUAGES, setLanguage, useLanguage, useMessages, type Language } from '../i18n/index.ts';

export function LanguagePicker() {
  const id = useId();
  const m = useMessages();
  const language = useLanguage();
  return (
    <span className="language-picker">
      <label htmlFor={id} className="visually-hidden">
        {m.language.label}
      </label>
      <select id={id} value={language} onChange={(event) => setLanguage(event.target.value as Language)}>
        {LANGUAGES.map((option) => (
          // Why lang on each option: a screen reader reads "Deutsch" in German (WCAG 3.1.2).
          <option key={option} value={option} lang={option}>
            {LANGUAGE_NAMES[option]}
          </option>
        ))}
      </select>
    </span>
  );
}
