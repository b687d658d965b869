/**
 * `auscult advisories import|list|match`: CSAF 2.0 advisories into the database, the stored list, and
 * the advisories that concern the identified devices. Loaded only when one of them runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserFacingError } from '../errors.js';
import { packageRoot } from '../config.js';
import {
  ADVISORY_FORMAT, AdvisoryMatcher, AliasDataError, compareRevisions, extractNetworkIndicators, loadAdvisoryAliases, matchInputOf, parseCsaf,
  type AdvisoryAliases, type AdvisoryMatch,
} from '../risk/advisories.js';
import { AdvisoryStore, type AdvisorySummary } from '../store/advisories.js';
import { StoreReader } from '../store/reader.js';
import type { Device } from '../store/device-json.js';

/** The CISA ICS medical advisories bundled for the demo (fingerprints/advisories/icsma/README.md). */
export const bundledAdvisoriesDir = (): string => join(packageRoot(), 'fingerprints', 'advisories', 'icsma');

export type ImportOutcome = 'imported' | 'updated' | 'unchanged' | 'older' | 'error';

export interface ImportReport {
  files: { file: string; outcome: ImportOutcome; id?: string; message: string }[];
  counts: Record<ImportOutcome, number>;
  /** Advisories in the database after the import. */
  stored: number;
  indicators: number;
}

/** Files to import: each file named, and every *.json under each directory named (sorted). */
function expand(paths: string[]): { files: string[]; errors: { file: string; message: string }[] } {
  const files: string[] = [];
  const errors: { file: string; message: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) files.push(p);
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) errors.push({ file: p, message: 'no such file or directory' });
    else if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
  return { files, errors };
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Import CSAF 2.0 files and directories. A newer revision (tracking version, then current release
 * date) replaces the stored one; an older one is reported and left out. A file that cannot be read
 * is reported with the reason and the others are imported all the same.
 */
export function importAdvisories(paths: string[], db: string): ImportReport {
  const { files, errors } = expand(paths);
  const report: ImportReport = { files: [], counts: { imported: 0, updated: 0, unchanged: 0, older: 0, error: 0 }, stored: 0, indicators: 0 };
  const add = (file: string, outcome: ImportOutcome, message: string, id?: string) => {
    report.files.push({ file, outcome, message, id });
    report.counts[outcome]++;
  };
  for (const e of errors) add(e.file, 'error', e.message);
  const store = AdvisoryStore.open(db);
  try {
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        add(file, 'error', `cannot read: ${(err as Error).message}`);
        continue;
      }
      const parsed = parseCsaf(text);
      if (!parsed.ok) {
        add(file, 'error', `not a CSAF 2.0 advisory: ${parsed.error}`);
        continue;
      }
      const a = parsed.advisory;
      const sha256 = createHash('sha256').update(text).digest('hex');
      const stored = store.revision(a.id);
      const put = () => store.put({ advisory: a, source: basename(file), sha256, format: ADVISORY_FORMAT, indicators: extractNetworkIndicators(a) });
      const what = `${a.id} revision ${a.version} (${day(a.currentReleaseMs)})`;
      if (stored === null) {
        put();
        add(file, 'imported', `imported ${what}`, a.id);
        continue;
      }
      const cmp = compareRevisions(a, { version: stored.revision, currentReleaseMs: stored.currentReleaseMs });
      if (cmp > 0) {
        put();
        add(file, 'updated', `updated ${a.id}: revision ${stored.revision} (${day(stored.currentReleaseMs)}) replaced by ${a.version} (${day(a.currentReleaseMs)})`, a.id);
      } else if (cmp < 0) {
        add(file, 'older', `kept ${a.id} revision ${stored.revision} (${day(stored.currentReleaseMs)}): this file has the older revision ${a.version} (${day(a.currentReleaseMs)})`, a.id);
      } else if (stored.format < ADVISORY_FORMAT) {
        put();
        add(file, 'updated', `updated ${what}: stored by an older auscult`, a.id);
      } else {
        add(file, 'unchanged', `unchanged ${what}`, a.id);
      }
    }
    report.stored = store.count();
    report.indicators = store.indicators().length;
  } finally {
    store.close();
  }
  return report;
}

/** Control and bidirectional-override characters of imported text, made visible for the terminal. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatImportReport(r: ImportReport): string {
  const lines = r.files.map((f) => printable(f.outcome === 'error' ? `error ${f.file}: ${f.message}` : `${f.message} from ${basename(f.file)}`));
  const c = r.counts;
  lines.push(
    `${r.files.length} file(s): ${c.imported} imported, ${c.updated} updated, ${c.unchanged} unchanged, ${c.older} older, ${c.error} error(s); ` +
      `${r.stored} advisories stored, ${r.indicators} network indicator(s)`,
  );
  return lines.join('\n');
}

export function listAdvisories(db: string): AdvisorySummary[] {
  const store = AdvisoryStore.open(db, { readonly: true });
  try {
    return store.summaries();
  } finally {
    store.close();
  }
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function formatAdvisoryList(list: AdvisorySummary[], format: 'table' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify(list.map((a) => ({
      id: a.id, revision: a.revision, title: a.title, release_date: new Date(a.currentReleaseMs).toISOString(),
      vendors: a.vendors, products: a.products, cve_count: a.cveCount, max_cvss: a.maxCvss, source: a.source,
    })), null, 2);
  }
  const header = ['ID', 'RELEASED', 'CVES', 'MAX CVSS', 'VENDORS', 'PRODUCTS', 'TITLE'];
  const rows = list.map((a) => [
    a.id, day(a.currentReleaseMs), String(a.cveCount), a.maxCvss === null ? '-' : a.maxCvss.toFixed(1),
    cut(a.vendors.join('; '), 30), cut(`${a.products.length}: ${a.products.join('; ')}`, 40), cut(a.title, 60),
  ].map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line), `${list.length} advisories`].join('\n');
}

/** The alias data, or a user-facing error naming every invalid entry. */
export function loadAliases(userDir: string | undefined): AdvisoryAliases {
  try {
    return loadAdvisoryAliases({ userDir });
  } catch (err) {
    if (err instanceof AliasDataError) throw new UserFacingError(err.message);
    throw err;
  }
}

export interface DeviceMatches {
  device: Pick<Device, 'id' | 'mac' | 'vendor' | 'model' | 'firmware'> & { ips: string[] };
  matches: AdvisoryMatch[];
}

/** Advisories that concern each device (or the devices `key` names: id, MAC or IP), devices without any left out. */
export function matchDevices(db: string, key: string | undefined, aliases: AdvisoryAliases): DeviceMatches[] {
  const reader = StoreReader.open(db);
  const store = AdvisoryStore.open(db, { readonly: true });
  try {
    const matcher = new AdvisoryMatcher(store.advisories(), aliases);
    let devices: Iterable<Device>;
    if (key === undefined) devices = reader.allDevices();
    else {
      const ids = reader.findDevices(key);
      if (ids.length === 0) throw new UserFacingError(`no device matches ${key} (give a device id, a MAC or an IP address)`);
      devices = ids.map((id) => reader.device(id)).filter((d): d is Device => d !== null);
    }
    const out: DeviceMatches[] = [];
    for (const d of devices) {
      const matches = matcher.match(matchInputOf(d));
      if (matches.length || key !== undefined) {
        out.push({ device: { id: d.id, mac: d.mac, vendor: d.vendor, model: d.model, firmware: d.firmware, ips: d.ips.map((a) => a.ip) }, matches });
      }
    }
    return out;
  } finally {
    store.close();
    reader.close();
  }
}

export function formatMatches(all: DeviceMatches[], format: 'table' | 'json'): string {
  if (format === 'json') return JSON.stringify(all, null, 2);
  const lines: string[] = [];
  for (const { device: d, matches } of all) {
    lines.push(printable(`device ${d.id}  ${d.mac ?? '(no MAC)'}  ${d.ips.join(' ')}  ${d.vendor ?? '?'} ${d.model ?? '?'}  firmware ${d.firmware ?? 'unknown'}`));
    if (matches.length === 0) lines.push('  no advisory concerns it');
    for (const m of matches) {
      const cves = m.cves.map((c) => `${c.cve ?? '(no CVE)'}${c.cvss_base_score === null ? '' : ` ${c.cvss_base_score.toFixed(1)}`}`).join(', ');
      lines.push(printable(`  ${m.status.padEnd(20)}  ${m.advisory_id}  CVSS ${m.max_cvss?.toFixed(1) ?? '-'}  ${m.title}`));
      for (const p of m.products) lines.push(printable(`      ${p.product}: ${p.version ?? '(no version)'}: ${p.reason}`));
      lines.push(printable(`      CVEs: ${cves}`));
      if (m.fixed_versions.length) lines.push(printable(`      fixed in: ${m.fixed_versions.join(', ')}`));
    }
  }
  const n = all.reduce((s, x) => s + x.matches.length, 0);
  lines.push(`${all.filter((x) => x.matches.length).length} device(s), ${n} advisory match(es)`);
  return lines.join('\n');
}

/** What `auscult demo` prints after importing the bundled advisories: the import, then each device they concern. */
export function demoAdvisories(db: string): string {
  const report = importAdvisories([bundledAdvisoriesDir()], db);
  const lines = [`advisories: ${report.stored} CISA ICS medical advisories imported (fingerprints/advisories/icsma), ${report.counts.error} error(s)`];
  for (const { device: d, matches } of matchDevices(db, undefined, loadAliases(undefined))) {
    const ids = (status: string) => matches.filter((m) => m.status === status).map((m) => m.advisory_id).join(' ');
    const parts = [ids('affected') && `affected ${ids('affected')}`, ids('potentially_affected') && `potentially affected ${ids('potentially_affected')}`].filter(Boolean);
    lines.push(printable(`  device ${d.id} ${d.vendor ?? ''} ${d.model ?? ''}: ${parts.join('; ')}`));
  }
  lines.push(printable(`  details: auscult advisories match --db ${db}`));
  return lines.join('\n');
}
