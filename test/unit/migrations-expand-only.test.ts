/**
 * The expand/contract rule (docs/operations.md, "Upgrading"): within a release, migrations only
 * add, so the version before them keeps serving on the migrated database while a rolling upgrade
 * replaces its processes. A migration that drops, renames, retypes or tightens (a contract step)
 * must be listed here, with the reason it is safe or the note that upgrading across it stops
 * every process first. Widening a check constraint (dropped and added again under its own name,
 * with more values) is an expand step and needs no listing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(import.meta.dirname, '../../src/storage/migrations');

const ALLOWED_CONTRACT_STEPS: Record<string, string> = {
  // Issue 11, before the rule: throttle keys moved from one string column into scope/subject
  // columns in one step. Code before 0014 reads `key` and cannot serve after it: an upgrade across
  // 0014 stops every process of the older version first (docs/operations.md says so).
  '0014-throttle-key-columns': 'drops throttles.key and makes scope/subject not null; predates the rule',
};

/** The forms of SQL (raw or Kysely's builder) that remove or change what older code may use. */
const CONTRACT =
  /\b(drop\s+column|dropColumn|drop\s+table|dropTable|rename|alter\s+column\s+\w+\s+(set\s+data\s+)?type|setDataType|set\s+not\s+null|setNotNull|drop\s+constraint\s+(\w+)|dropConstraint)/gi;

function contractSteps(source: string): string[] {
  const start = source.indexOf('export async function up');
  const end = source.indexOf('export async function down');
  const up = source.slice(start, end > start ? end : undefined);
  return [...up.matchAll(CONTRACT)]
    .filter((match) => {
      // A check constraint dropped and added again under the same name: widened, not removed.
      const constraint = match[3];
      return !(constraint && new RegExp(`add\\s+constraint\\s+${constraint}\\b`, 'i').test(up));
    })
    .map((match) => match[0].toLowerCase());
}

describe('migrations within a release only add (expand/contract)', () => {
  const files = fs.readdirSync(dir).filter((file) => /^\d{4}-.*\.ts$/.test(file));

  it('finds the migrations, and a contract step in each form it looks for', () => {
    expect(files.length).toBeGreaterThan(20);
    for (const form of [
      'alter table users drop column email',
      'alter table users rename column email to mail',
      'alter table users rename to people',
      'alter table users alter column email type varchar(100)',
      'alter table users alter column email set not null',
      'drop table users',
      'alter table users drop constraint users_pkey',
      "db.schema.alterTable('users').dropColumn('email')",
    ])
      expect(contractSteps(`export async function up() { ${form} }`), form).not.toEqual([]);
    expect(
      contractSteps('export async function up() { alter table t drop constraint c_check; alter table t add constraint c_check check (x) }'),
    ).toEqual([]);
    expect(contractSteps('export async function up() { add column x text } export async function down() { drop column x }')).toEqual([]);
  });

  it('has no drop, rename, type change or new NOT NULL outside the listed contract steps', () => {
    const unlisted = files
      .map((file) => ({ name: file.replace(/\.ts$/, ''), steps: contractSteps(fs.readFileSync(path.join(dir, file), 'utf8')) }))
      .filter(({ name, steps }) => steps.length > 0 && !(name in ALLOWED_CONTRACT_STEPS));
    expect(unlisted).toEqual([]);
  });
});
