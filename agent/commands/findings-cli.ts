/**
 * The `auscult findings` command group and `auscult risk`. The implementation (findings.ts) is
 * imported when one of these commands runs.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { dbPath } from '../config.js';
import { jsonTextForTerminal, linesForTerminal } from '../output/escape.js';
import { writeAll } from '../output/write.js';
import { userFingerprintsDir } from './identify.js';

const forPerson = (text: string, format: 'table' | 'json'): string =>
  (format === 'json' ? jsonTextForTerminal(text) : linesForTerminal(text)) + '\n';
const dbOption = () => new Option('--db <path>', 'SQLite database (default: $AUSCULT_DB or ./auscult.db)');
const formatOption = () => new Option('--format <format>', 'output format').choices(['table', 'json']).default('table');
const fingerprintsOption = () => new Option('--fingerprints <dir>', 'your own finding types in <dir>/findings/ (default: $AUSCULT_FINGERPRINTS)');
const positive = (name: string, max: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`${name} must be an integer from 0 to ${max}`);
  return n;
};
/** On `read`, `capture`, `run` and `findings refresh` (README: Findings and risk). */
export const resolveFindingsOption = () =>
  new Option('--resolve-findings-after <hours>', 'a finding with no evidence for this many hours of capture time is resolved, 0: never (default 168)')
    .argParser(positive('--resolve-findings-after', 876_000));

interface ListOptions { db?: string; format: 'table' | 'json'; type?: string; severity?: string; device?: number; medical?: boolean; status?: 'open' | 'acknowledged' | 'resolved' }

export function addFindingCommands(program: Command): void {
  const findings = program.command('findings').description('security findings with their evidence (README: Findings)');

  const list = async (o: ListOptions) => {
    const { formatFindings, listFindings } = await import('./findings.js');
    const all = listFindings(dbPath(o.db), { type: o.type, severity: o.severity, deviceId: o.device, medical: o.medical, status: o.status });
    await writeAll(process.stdout, forPerson(formatFindings(all, o.format), o.format));
  };
  const listOptions = (cmd: Command) => cmd
    .addOption(dbOption())
    .addOption(formatOption())
    .option('--type <id>', 'finding type (cleartext-dicom, telnet, weak-tls...)')
    .addOption(new Option('--severity <level>', 'exact severity').choices(['critical', 'high', 'medium', 'low', 'info']))
    .option('--device <id>', 'device id', positive('--device', Number.MAX_SAFE_INTEGER))
    .option('--medical', 'findings of medical devices only')
    .addOption(new Option('--status <status>', 'open, acknowledged or resolved').choices(['open', 'acknowledged', 'resolved']));

  listOptions(findings.command('list', { isDefault: true }).description('list findings, filtered')).action(list);

  findings
    .command('ack')
    .description('acknowledge a finding (accept the risk): it stays listed, marked, and stops counting in the risk score')
    .argument('<id>', 'finding id', positive('<id>', Number.MAX_SAFE_INTEGER))
    .requiredOption('--reason <text>', 'why the risk is accepted')
    .addOption(dbOption())
    .addOption(fingerprintsOption())
    .action(async (id: number, o: { reason: string; db?: string; fingerprints?: string }) => {
      const { ackFinding, findingData, formatFindings } = await import('./findings.js');
      const f = await ackFinding(dbPath(o.db), id, o.reason, findingData(userFingerprintsDir(o.fingerprints)));
      await writeAll(process.stdout, forPerson(formatFindings([f], 'table'), 'table'));
    });

  findings
    .command('refresh')
    .description('compute every device\'s findings and risk again (after editing finding types or importing advisories)')
    .addOption(dbOption())
    .addOption(fingerprintsOption())
    .addOption(resolveFindingsOption())
    .action(async (o: { db?: string; fingerprints?: string; resolveFindingsAfter?: number }) => {
      const { findingData, refreshFindings } = await import('./findings.js');
      const dir = userFingerprintsDir(o.fingerprints);
      const r = refreshFindings(dbPath(o.db), findingData(dir), dir, o.resolveFindingsAfter);
      await writeAll(process.stdout, `${r.devices} devices, ${r.findings} open findings\n`);
    });

  program
    .command('risk')
    .description('the riskiest devices with their top reasons (README: Risk score)')
    .addOption(dbOption())
    .addOption(formatOption())
    .option('--limit <n>', 'devices shown', positive('--limit', 1000), 20)
    .option('--min-risk <score>', 'devices scoring at least this', positive('--min-risk', 100), 1)
    .action(async (o: { db?: string; format: 'table' | 'json'; limit: number; minRisk: number }) => {
      const { formatRisk, riskiest } = await import('./findings.js');
      await writeAll(process.stdout, forPerson(formatRisk(riskiest(dbPath(o.db), Math.max(1, o.limit), o.minRisk), o.format), o.format));
    });
}
