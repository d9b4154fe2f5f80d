/**
 * Issue 13: every sentence a person reads in the web UI comes from the catalogue (web/src/i18n),
 * so a second language is complete. This reads every web/src .tsx file with the TypeScript
 * compiler and fails on words written into the markup instead: JSX text, string attributes that
 * people read (aria-label, title, placeholder, alt, label and this UI's own text props), words
 * given as such props in object literals (tabs, menu items, code-entry fallbacks), and sentences
 * handed straight to a state setter.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const WEB = join(import.meta.dirname, '../../web/src');

/** Attributes and props whose value a person reads or hears. */
const WORD_PROPS = new Set([
  'aria-label',
  'title',
  'placeholder',
  'alt',
  'label',
  'hint',
  'description',
  'intro',
  'text',
  'submitLabel',
  'missing',
  'fallback',
  'notice',
  'one',
  'many',
  'loadFailed',
  'moreFailed',
]);

/** Not words of any language: the product's name, and the fragment a setup link ends with. */
const SAME_IN_EVERY_LANGUAGE = new Set(['keyward', '#token=…']);

/** Setters and helpers that take the sentence to show. */
const SAYS = /^(set[A-Z]\w*|say|showFieldError|onMoreFailed)$/;

const hasWords = (text: string) => /\p{L}/u.test(text) && !SAME_IN_EVERY_LANGUAGE.has(text.trim());

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'i18n' ? [] : tsxFiles(path);
    return entry.name.endsWith('.tsx') ? [path] : [];
  });
}

/** The string literals an expression yields as its value (directly, or from a branch of ?:, ??, ||, &&). */
function literalsOf(node: ts.Node | undefined): ts.Node[] {
  if (!node) return [];
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) return [node];
  if (ts.isParenthesizedExpression(node) || ts.isJsxExpression(node)) return literalsOf(node.expression);
  if (ts.isConditionalExpression(node)) return [...literalsOf(node.whenTrue), ...literalsOf(node.whenFalse)];
  if (
    ts.isBinaryExpression(node) &&
    [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(
      node.operatorToken.kind,
    )
  )
    return [...literalsOf(node.left), ...literalsOf(node.right)];
  return [];
}

function literalText(node: ts.Node, source: ts.SourceFile): string {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ');
  return node.getText(source);
}

function nameOf(name: ts.Node): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : name.getText();
}

/** "file:line: text" for every piece of words outside the catalogue. */
export function wordsOutsideCatalogue(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const report = (node: ts.Node, text: string) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push(`${relative(WEB, file)}:${line}: ${text.trim().replace(/\s+/g, ' ').slice(0, 70)}`);
  };
  const check = (node: ts.Node | undefined, sentencesOnly = false) => {
    for (const literal of literalsOf(node)) {
      const text = literalText(literal, source);
      if (hasWords(text) && (!sentencesOnly || /\p{L}+\s+\p{L}+/u.test(text))) report(literal, text);
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && hasWords(node.text)) report(node, node.text);
    // Children written as {'words'} or {ok ? 'Yes' : 'No'}.
    if (ts.isJsxExpression(node) && (ts.isJsxElement(node.parent) || ts.isJsxFragment(node.parent))) check(node.expression);
    if (ts.isJsxAttribute(node) && WORD_PROPS.has(nameOf(node.name))) check(node.initializer);
    if (ts.isPropertyAssignment(node) && WORD_PROPS.has(nameOf(node.name))) check(node.initializer);
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && SAYS.test(node.expression.text))
      for (const argument of node.arguments) check(argument, true);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the web UI’s words', () => {
  const files = tsxFiles(WEB);

  it('reads every .tsx file of web/src', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it('come from the catalogue, not from the markup', () => {
    expect(files.flatMap(wordsOutsideCatalogue)).toEqual([]);
  });

  it('would notice words written into the markup', () => {
    const file = join(import.meta.dirname, 'fixtures/words-in-markup.tsx.txt');
    expect(wordsOutsideCatalogue(file).map((line) => line.replace(/^.*?:\d+: /, ''))).toEqual([
      'Profile',
      'Welcome back',
      'Close the dialog',
      'Saving failed.',
      'Enter a name.',
      'Yes',
      'No',
    ]);
  });
});
