/**
 * Golden coverage: for each registered dissector, the golden files that hold its evidence, the captures
 * and recording scripts behind them, and the signatures that read its fields. coverage.test.ts fails on
 * a dissector no golden file covers and keeps the table in test-fixtures/README.md equal to these facts;
 * `npm run fixtures:coverage` prints that table.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKET_DISSECTORS, STREAM_DISSECTORS } from '../agent/dissectors/index.js';
import { builtinFingerprintsDir, loadLibrary } from '../agent/identify/index.js';
import { fixtureDir, goldenCaptures } from './golden.js';

/** One golden file as far as coverage goes: per evidence source, how many devices carry it. */
export interface GoldenEvidence {
  capture: string;
  devicesBySource: Record<string, number>;
}

export interface DissectorCoverage {
  /** Registered name, also the evidence source. */
  name: string;
  /** Module in agent/dissectors/ that declares it (null: not found). */
  module: string | null;
  /** Golden captures holding its evidence, with their recording script and the devices carrying it. */
  captures: { capture: string; script: string | null; devices: number }[];
  /** Signatures whose match reads one of its fields, counted per fingerprint file. */
  signaturesByFile: Record<string, number>;
}

/** Every registered dissector's name, packet dissectors first, in registry order. */
export function registeredDissectors(): string[] {
  return [...PACKET_DISSECTORS, ...STREAM_DISSECTORS].map((d) => d.name);
}

/** The evidence sources of each golden file (`devices[].evidence` keys), with device counts. */
export function goldenEvidence(dir = fixtureDir()): GoldenEvidence[] {
  return goldenCaptures(dir).map((capture) => {
    const golden = JSON.parse(readFileSync(join(dir, `${capture}.expected.json`), 'utf8')) as { devices: { evidence?: Record<string, unknown> }[] };
    const devicesBySource: Record<string, number> = {};
    for (const d of golden.devices) for (const source of Object.keys(d.evidence ?? {})) devicesBySource[source] = (devicesBySource[source] ?? 0) + 1;
    return { capture, devicesBySource };
  });
}

/** Registered dissectors that no golden file holds evidence of. */
export function uncoveredDissectors(registered: readonly string[], goldens: readonly GoldenEvidence[]): string[] {
  return registered.filter((name) => !goldens.some((g) => (g.devicesBySource[name] ?? 0) > 0));
}

/** The make-*.sh scripts in test-fixtures/ that name each capture (the one that records it). */
export function recordingScripts(dir = fixtureDir()): Map<string, string[]> {
  const scripts = readdirSync(dir).filter((f) => /^make-.*\.sh$/.test(f)).sort();
  const texts = scripts.map((s) => readFileSync(join(dir, s), 'utf8'));
  return new Map(goldenCaptures(dir).map((c) => [c, scripts.filter((_, i) => texts[i].includes(c))]));
}

/** Dissector name → the agent/dissectors/ module whose `kind: ..., name: '...'` declares it. */
function dissectorModules(dir = fixtureDir()): Map<string, string> {
  const src = join(dir, '..', 'agent', 'dissectors');
  const out = new Map<string, string>();
  for (const f of readdirSync(src).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
    for (const m of readFileSync(join(src, f), 'utf8').matchAll(/kind: '(?:packet|stream)',\s*name: '([^']+)'/g)) out.set(m[1], f);
  }
  return out;
}

/** Evidence source → fingerprint file → signatures whose match (all, any, not) reads `<source>.<field>`. */
function signatureUse(): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const sig of loadLibrary({ builtinDir: builtinFingerprintsDir() }).signatures) {
    const m = sig.match;
    const groups = [m.all, ...m.any, ...(m.not ? [m.not] : [])];
    const sources = new Set(groups.flatMap((g) => g.conditions.map((c) => c.path)).filter((p) => p.includes('.')).map((p) => p.split('.')[0]));
    for (const s of sources) {
      const byFile = out.get(s) ?? {};
      byFile[basename(sig.file)] = (byFile[basename(sig.file)] ?? 0) + 1;
      out.set(s, byFile);
    }
  }
  return out;
}

export function dissectorCoverage(dir = fixtureDir()): DissectorCoverage[] {
  const goldens = goldenEvidence(dir);
  const scripts = recordingScripts(dir);
  const modules = dissectorModules(dir);
  const signatures = signatureUse();
  return registeredDissectors().map((name) => ({
    name,
    module: modules.get(name) ?? null,
    captures: goldens.filter((g) => (g.devicesBySource[name] ?? 0) > 0).map((g) => ({
      capture: g.capture,
      script: scripts.get(g.capture)?.length === 1 ? scripts.get(g.capture)![0] : null,
      devices: g.devicesBySource[name],
    })),
    signaturesByFile: signatures.get(name) ?? {},
  }));
}

export const TABLE_HEADER = '| Protocol | Dissector | Captures, by recording script | Golden files (devices with its evidence) | Signatures reading its fields |';

/** The README's protocol cell of each dissector row (the one column that is prose, not computed). */
export function protocolNames(readme: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of tableLines(readme).slice(2)) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const name = /^`([^`]+)`/.exec(cells[1] ?? '')?.[1];
    if (name !== undefined) out.set(name, cells[0]);
  }
  return out;
}

/** The coverage table's lines in the README: from its header line to the first line not in the table. */
export function tableLines(readme: string): string[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(TABLE_HEADER);
  if (start < 0) return [];
  let end = start;
  while (end < lines.length && lines[end].startsWith('|')) end++;
  return lines.slice(start, end);
}

/** The table as it must appear in the README; protocol names come from `protocols`. */
export function coverageTable(rows: readonly DissectorCoverage[], protocols: ReadonlyMap<string, string>): string {
  const out = [TABLE_HEADER, '|---|---|---|---|---|'];
  for (const r of rows) {
    const byScript = new Map<string, string[]>();
    for (const c of r.captures) byScript.set(c.script ?? '(no script)', [...(byScript.get(c.script ?? '(no script)') ?? []), `\`${c.capture}\``]);
    const captures = [...byScript].map(([s, cs]) => `${s}: ${cs.join(', ')}`).join('; ') || '**none**';
    const goldens = r.captures.map((c) => `\`${c.capture}.expected.json\` ${c.devices}`).join(', ') || '**none**';
    const files = Object.entries(r.signaturesByFile).sort(([a], [b]) => a.localeCompare(b));
    const total = files.reduce((n, [, k]) => n + k, 0);
    const signatures = total === 0 ? 'none' : `${total}: ${files.map(([f, k]) => `${f} ${k}`).join(', ')}`;
    const dissector = `\`${r.name}\` (${r.module ?? 'module not found'})`;
    out.push(`| ${protocols.get(r.name) ?? '(name the protocol)'} | ${dissector} | ${captures} | ${goldens} | ${signatures} |`);
  }
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const readme = readFileSync(join(fixtureDir(), 'README.md'), 'utf8');
  process.stdout.write(coverageTable(dissectorCoverage(), protocolNames(readme)) + '\n');
}
