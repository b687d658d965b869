/**
 * The `auscult advisories` command group. Its implementation (agent/commands/advisories.ts) is
 * imported when one of its commands runs, so other commands do not pay for loading it.
 */
import { Option, type Command } from 'commander';
import { dbPath } from '../config.js';
import { jsonTextForTerminal, linesForTerminal } from '../output/escape.js';
import { writeAll } from '../output/write.js';

/** A table or JSON document escaped for a terminal (agent/output/escape.ts), with its final newline. */
const forPerson = (text: string, format: 'table' | 'json'): string =>
  (format === 'json' ? jsonTextForTerminal(text) : linesForTerminal(text)) + '\n';

const dbOption = () => new Option('--db <path>', 'SQLite database (default: $AUSCULT_DB or ./auscult.db)');
const formatOption = () => new Option('--format <format>', 'output format').choices(['table', 'json']).default('table');

export function addAdvisoryCommands(program: Command): void {
  const advisories = program.command('advisories').description('CSAF 2.0 security advisories (CISA ICS medical advisories...) and the devices they concern');

  advisories
    .command('import')
    .description('import CSAF 2.0 advisories (files, or directories of *.json); a newer revision replaces the stored one')
    .argument('<paths...>', 'CSAF JSON files or directories')
    .addOption(dbOption())
    .action(async (paths: string[], o: { db?: string }) => {
      const { formatImportReport, importAdvisories } = await import('./advisories.js');
      const report = importAdvisories(paths, dbPath(o.db));
      await writeAll(process.stdout, linesForTerminal(formatImportReport(report)) + '\n');
      if (report.counts.error > 0) process.exitCode = 1;
      // Devices already in the database are matched against what was imported.
      const { findingData, refreshFindings } = await import('./findings.js');
      const r = refreshFindings(dbPath(o.db), findingData(undefined), undefined);
      if (r.devices > 0) await writeAll(process.stdout, `findings computed again: ${r.findings} open on ${r.devices} devices\n`);
    });

  advisories
    .command('list')
    .description('the stored advisories: id, release date, CVEs, highest CVSS, vendors, products, title')
    .addOption(dbOption())
    .addOption(formatOption())
    .action(async (o: { db?: string; format: 'table' | 'json' }) => {
      const { formatAdvisoryList, listAdvisories } = await import('./advisories.js');
      await writeAll(process.stdout, forPerson(formatAdvisoryList(listAdvisories(dbPath(o.db)), o.format), o.format));
    });

  advisories
    .command('match')
    .description('the advisories that concern each identified device (affected or potentially affected), and why')
    .argument('[device]', 'only this device: id, MAC or IP address')
    .addOption(dbOption())
    .addOption(formatOption())
    .addOption(new Option('--fingerprints <dir>', 'your own advisories/*.yaml alias files, loaded after the built-in ones (default: $AUSCULT_FINGERPRINTS)'))
    .action(async (key: string | undefined, o: { db?: string; format: 'table' | 'json'; fingerprints?: string }) => {
      const { formatMatches, loadAliases, matchDevices } = await import('./advisories.js');
      const aliases = loadAliases(o.fingerprints ?? (process.env.AUSCULT_FINGERPRINTS || undefined));
      await writeAll(process.stdout, forPerson(formatMatches(matchDevices(dbPath(o.db), key, aliases), o.format), o.format));
    });
}
