/**
 * Issue 13: the German catalogue is a translation of the English one, key for key. The compiler
 * already refuses a missing or extra key (`de: Messages`); these tests also catch a message left
 * in English, a function whose words do not depend on its values, and a plural that never changes.
 */
import { isValidElement, type ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { de } from './de.ts';
import { en } from './en.ts';
import { chooseLanguage, localeFor } from './language.ts';

/** Names and labels that are the same in German: products, plans, standards, and words German uses as they are. */
const SAME_IN_GERMAN = new Set([
  'common.name',
  'common.titleSuffix',
  'profile.plans.professional',
  'profile.plans.business',
  'profile.plans.enterprise',
  'profile.roles.admin',
  'supportConsole.columnTwoFactor',
  'users.columnTwoFactor',
  'auditLog.support',
  'audit.actorSupport',
  'settingsPage.audit',
  'mail.statusColumn',
]);

type Tree = { [key: string]: unknown };

/** Every message as "path" → value, through nested groups. */
function leaves(tree: Tree, prefix = ''): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value)) for (const [p, v] of leaves(value as Tree, path)) found.set(p, v);
    else found.set(path, value);
  }
  return found;
}

/** The text of what a message gives (a string, or a fragment of strings and elements). */
function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (isValidElement(node)) return textOf((node.props as { children?: ReactNode }).children);
  return '';
}

/** A message called with sample values: numbers 2 (a plural), strings "«x»", elements as "[x]". */
function sample(message: unknown, count = 2): string {
  if (typeof message === 'string') return message;
  const fn = message as (...args: unknown[]) => ReactNode;
  const args = Array.from({ length: fn.length }, (_, index) => {
    // Each message says what it takes; the probe answers as a number, a string and a counts object alike.
    const value = { active: count, pending: count, off: count, toString: () => `«${index}»`, valueOf: () => count };
    return value;
  });
  return textOf(fn(...args));
}

describe('the German catalogue', () => {
  const english = leaves(en);
  const german = leaves(de);

  it('has exactly the English keys', () => {
    expect([...german.keys()].sort()).toEqual([...english.keys()].sort());
  });

  it('gives each message in the same form: words, or a function of as many values', () => {
    for (const [path, message] of english) {
      const translated = german.get(path);
      expect(typeof translated, path).toBe(typeof message);
      if (typeof message === 'function') expect((translated as () => unknown).length, path).toBeLessThanOrEqual(message.length);
    }
  });

  it('translates every message but a short list of names', () => {
    const untranslated = [...english].filter(([path, message]) => sample(message) === sample(german.get(path))).map(([path]) => path);
    expect(untranslated.filter((path) => !SAME_IN_GERMAN.has(path))).toEqual([]);
    // The list stays short and true: every name on it is still the same in both.
    expect(untranslated.sort()).toEqual([...SAME_IN_GERMAN].sort());
  });

  it('says plurals in both languages', () => {
    expect(en.errors.minutes(1)).toBe('1 minute');
    expect(en.errors.minutes(5)).toBe('5 minutes');
    expect(de.errors.minutes(1)).toBe('1 Minute');
    expect(de.errors.minutes(5)).toBe('5 Minuten');
    expect(de.sessions.endedOthers(1)).toMatch(/^1 andere Sitzung wurde beendet/);
    expect(de.sessions.endedOthers(3)).toMatch(/^3 andere Sitzungen wurden beendet/);
    expect(de.setup.timesLeft(1)).toBe('Sie können noch einmal verschieben.');
    expect(de.setup.timesLeft(2)).toBe('Sie können noch 2-mal verschieben.');
    expect(de.shell.passwordExpires(0)).toBe('Ihr Passwort läuft heute ab.');
    expect(de.shell.passwordExpires(1)).toBe('Ihr Passwort läuft in 1 Tag ab.');
  });

  it('has words for every error code and reason in both languages', () => {
    expect(Object.keys(de.errors.codes).sort()).toEqual(Object.keys(en.errors.codes).sort());
    for (const [code, text] of Object.entries(de.errors.codes))
      expect(text, code).not.toBe(en.errors.codes[code as keyof typeof en.errors.codes]);
  });
});

describe('the language a page speaks', () => {
  it('is the stored choice when keyward speaks it', () => {
    expect(chooseLanguage('de', ['en-US'])).toBe('de');
    expect(chooseLanguage('en', ['de-DE'])).toBe('en');
  });

  it('is else the first of the browser’s languages keyward speaks, else English', () => {
    expect(chooseLanguage(null, ['fr-FR', 'de-AT', 'en'])).toBe('de');
    expect(chooseLanguage('xx', ['fr-FR', 'en-GB'])).toBe('en');
    expect(chooseLanguage(null, ['fr', 'it'])).toBe('en');
    expect(chooseLanguage(null, [])).toBe('en');
  });

  it('formats dates in the browser’s own variant of that language', () => {
    expect(localeFor('en', ['de-DE', 'en-GB'])).toBe('en-GB');
    expect(localeFor('de', ['de-AT'])).toBe('de-AT');
    expect(localeFor('de', ['en-US'])).toBe('de');
  });
});
