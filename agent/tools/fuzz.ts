/**
 * `npm run fuzz -- --packets N --seed S`: packet-level mutation of every fixture capture through the
 * real pipeline, checking after each run for crashes, hangs, planted patient data in any file or output,
 * and database consistency (agent/testing/fuzz-campaign.ts). Prints progress on stderr and the report
 * on stdout (`--json`: as JSON); failing inputs go to `--failures` (default ./fuzz-failures) as captures
 * to replay with `auscult read`. `--replay FILE...` runs the same checks on given captures instead.
 * Exit status: 0 when nothing was found, 1 otherwise, 2 on a usage error.
 *
 * Test tooling, not the product: built on its own (agent/tools/tsconfig.fuzz.json, into dist-fuzz/).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../config.js';
import { builtinFingerprintsDir, loadLibrary } from '../identify/index.js';
import { formatReport, runCampaign, type CampaignReport } from '../testing/fuzz-campaign.js';
import { executeRun, installTripwire } from '../testing/fuzz-run.js';

const USAGE = `usage: npm run fuzz -- [--packets N] [--seed S] [--rounds-per-run R] [--timeout-ms MS] [--failures DIR] [--fixtures DIR] [--json]
       npm run fuzz -- --replay FILE...`;

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not ${JSON.stringify(text)}`);
  return n;
}

async function replay(files: string[], timeoutMs: number): Promise<number> {
  const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
  const workDir = mkdtempSync(join(tmpdir(), 'auscult-fuzz-replay-'));
  const tripwire = installTripwire();
  let failed = 0;
  try {
    for (const f of files) {
      const res = await executeRun(readFileSync(f), { library, workDir, timeoutMs });
      const thrown = tripwire.take().map((e) => ({ kind: 'crash', where: `dissector ${e.dissector} threw`, detail: e.error }));
      const findings = [...res.findings, ...thrown];
      failed += findings.length > 0 ? 1 : 0;
      process.stdout.write(`${f}: ${findings.length === 0 ? 'clean' : `${findings.length} finding(s)`} (${res.summary?.frames ?? 0} packets, ${res.devices} devices)\n`);
      for (const x of findings) process.stdout.write(`  ${x.kind} in ${x.where}: ${x.detail}\n`);
    }
  } finally {
    tripwire.restore();
    rmSync(workDir, { recursive: true, force: true });
  }
  return failed === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        packets: { type: 'string' }, seed: { type: 'string' }, 'rounds-per-run': { type: 'string' }, 'timeout-ms': { type: 'string' },
        failures: { type: 'string' }, fixtures: { type: 'string' }, json: { type: 'boolean' }, replay: { type: 'boolean' }, help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    process.stderr.write(`fuzz: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let packets: number, seed: number, rounds: number, timeoutMs: number;
  try {
    packets = positiveInt('packets', values.packets as string | undefined, 100_000);
    seed = positiveInt('seed', values.seed as string | undefined, Date.now() % 2 ** 31);
    rounds = Math.max(1, positiveInt('rounds-per-run', values['rounds-per-run'] as string | undefined, 4));
    timeoutMs = Math.max(1, positiveInt('timeout-ms', values['timeout-ms'] as string | undefined, 60_000));
  } catch (err) {
    process.stderr.write(`fuzz: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.replay) return replay(positionals, timeoutMs);
  if (positionals.length > 0) {
    process.stderr.write(`fuzz: unexpected argument ${positionals[0]}\n${USAGE}\n`);
    return 2;
  }
  const failuresDir = (values.failures as string | undefined) ?? join(process.cwd(), 'fuzz-failures');
  process.stderr.write(`fuzz: seed ${seed}, ${packets} packets; failing inputs go to ${failuresDir}\n`);
  let lastProgress = performance.now();
  const report: CampaignReport = await runCampaign({
    fixtureDir: (values.fixtures as string | undefined) ?? join(packageRoot(), 'test-fixtures'),
    packets, seed, roundsPerRun: rounds, timeoutMs, failuresDir,
    onRun: (r) => {
      if (performance.now() - lastProgress < 10_000) return;
      lastProgress = performance.now();
      const found = r.counts.crash + r.counts.hang + r.counts.leak + r.counts.inconsistent;
      process.stderr.write(`fuzz: ${r.packets} / ${packets} packets, ${r.runs} runs, ${found} findings, ${Math.round(r.packets / (r.elapsedMs / 1000))} packets/s\n`);
    },
  });
  process.stdout.write((values.json ? JSON.stringify(report, null, 2) : formatReport(report)) + '\n');
  const c = report.counts;
  return c.crash + c.hang + c.leak + c.inconsistent === 0 ? 0 : 1;
}

process.exitCode = await main();
