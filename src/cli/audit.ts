import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { execute } from './context.ts';

/** Writes to `stream`, resolving when it took the text (at once, or after its drain). */
function writer(stream: Writable): (text: string) => Promise<void> {
  return async (text) => {
    if (!stream.write(text)) await once(stream, 'drain');
  };
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description("an instance's audit log");
  audit
    .command('export')
    .description(
      "write an instance's audit events as JSON Lines (one event a line, the fields of GET /api/v1/admin/audit), oldest first, to archive them before KEYWARD_AUDIT_RETENTION_DAYS prunes them",
    )
    .argument('<slug>', 'the instance slug')
    .option('--since <time>', 'only events at or after this ISO 8601 time with a zone, e.g. 2026-01-01T00:00:00Z')
    .option('--until <time>', 'only events before this ISO 8601 time with a zone')
    .option('--output <file>', 'write to this file (replaced if it exists) instead of standard output')
    .action(async (slug: string, options: { since?: string; until?: string; output?: string }) => {
      const input = {
        instanceSlug: slug,
        ...(options.since ? { since: options.since } : {}),
        ...(options.until ? { until: options.until } : {}),
      };
      const file = options.output ? path.resolve(options.output) : null;
      // Why 0600: the events name people, their addresses and user agents (the log's own data).
      const stream = file ? fs.createWriteStream(file, { mode: 0o600 }) : process.stdout;
      let done = false;
      try {
        const result = (await execute({ op: 'audit.export', input }, undefined, writer(stream))) as { instance: string; exported: number };
        done = true;
        process.stderr.write(`Exported ${result.exported} audit events of ${result.instance}${file ? ` to ${file}` : ''}.\n`);
      } finally {
        if (file) {
          stream.end();
          await once(stream, 'close');
          // Why remove it: a cut-off archive could be taken for a whole one before the prune.
          if (!done) fs.rmSync(file, { force: true });
        }
      }
    });
}
