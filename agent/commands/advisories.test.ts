/**
 * `auscult advisories` end to end: the IntelliVue capture (recorded from the protocol as the fixture
 * script documents) ingested by the real pipeline, the 144 real CISA advisories imported, and the
 * device matched to ICSMA-18-156-01 and ICSMA-20-254-01. Through the functions, then through the
 * built executable (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFingerprints } from './identify.js';
import { readFiles } from './read.js';
import { bundledAdvisoriesDir, demoAdvisories, formatAdvisoryList, formatImportReport, importAdvisories, listAdvisories, loadAliases, matchDevices, printable } from './advisories.js';
import { createLogger } from '../log.js';

const root = join(import.meta.dirname, '..', '..');
const fixture = (name: string) => join(root, 'test-fixtures', name);
const cli = join(root, 'dist', 'agent', 'cli.js');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'auscult-advisories-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function ingest(db: string, captures: string[]): Promise<void> {
  const log = createLogger({ level: 'warn' });
  await readFiles(captures.map(fixture), { db, log, progress: false, library: loadFingerprints(undefined, null) });
}

describe('import', () => {
  it('imports all 144 bundled advisories; importing again changes nothing', () => {
    const db = join(work, 'import.db');
    const first = importAdvisories([bundledAdvisoriesDir()], db);
    expect(first.counts).toEqual({ imported: 144, updated: 0, unchanged: 0, older: 0, error: 0 });
    expect(first.stored).toBe(144);
    expect(formatImportReport(first)).toMatch(/imported ICSMA-20-254-01 revision 4 \(2023-12-14\) from icsma-20-254-01\.json/);
    const again = importAdvisories([bundledAdvisoriesDir()], db);
    expect(again.counts).toEqual({ imported: 0, updated: 0, unchanged: 144, older: 0, error: 0 });
  });

  it('a newer revision replaces the stored one, an older one is reported and left out', () => {
    const db = join(work, 'revisions.db');
    const text = readFileSync(join(bundledAdvisoriesDir(), 'icsma-20-254-01.json'), 'utf8');
    const older = JSON.parse(text);
    older.document.tracking.version = '3';
    older.document.tracking.current_release_date = '2021-11-08T07:00:00.000000Z';
    older.document.title = 'Philips Patient Monitoring Devices (Update B)';
    const dir = join(work, 'revisions');
    mkdirSync(dir);
    writeFileSync(join(dir, 'update-b.json'), JSON.stringify(older));
    writeFileSync(join(dir, 'update-c.json'), text);
    expect(importAdvisories([join(dir, 'update-b.json')], db).files[0].message).toBe('imported ICSMA-20-254-01 revision 3 (2021-11-08)');
    const r = importAdvisories([join(dir, 'update-c.json'), join(dir, 'update-b.json')], db);
    expect(r.files.map((f) => f.outcome)).toEqual(['updated', 'older']);
    expect(r.files[0].message).toBe('updated ICSMA-20-254-01: revision 3 (2021-11-08) replaced by 4 (2023-12-14)');
    expect(r.files[1].message).toBe('kept ICSMA-20-254-01 revision 4 (2023-12-14): this file has the older revision 3 (2021-11-08)');
    expect(listAdvisories(db).map((a) => [a.id, a.revision, a.title])).toEqual([['ICSMA-20-254-01', '4', 'Philips Patient Monitoring Devices (Update C)']]);
  });

  it('a malformed file is an error naming it, and the other files are imported', () => {
    const db = join(work, 'malformed.db');
    const dir = join(work, 'mixed');
    mkdirSync(dir);
    copyFileSync(join(bundledAdvisoriesDir(), 'icsma-18-156-01.json'), join(dir, 'a.json'));
    writeFileSync(join(dir, 'b-truncated.json'), readFileSync(join(bundledAdvisoriesDir(), 'icsma-19-255-01.json'), 'utf8').slice(0, 500));
    writeFileSync(join(dir, 'c-no-id.json'), JSON.stringify({ document: { csaf_version: '2.0', title: 'x', tracking: { version: '1', current_release_date: '2024-01-01T00:00:00Z' } } }));
    writeFileSync(join(dir, 'notes.txt'), 'not an advisory, and not *.json: skipped in a directory');
    copyFileSync(join(bundledAdvisoriesDir(), 'icsma-20-254-01.json'), join(dir, 'd.json'));
    const r = importAdvisories([dir, join(work, 'missing.json')], db);
    expect(r.counts).toEqual({ imported: 2, updated: 0, unchanged: 0, older: 0, error: 3 });
    const text = formatImportReport(r);
    expect(text).toMatch(/^error .*missing\.json: no such file or directory$/m);
    expect(text).toMatch(/^error .*b-truncated\.json: not a CSAF 2\.0 advisory: not JSON: /m);
    expect(text).toMatch(/^error .*c-no-id\.json: not a CSAF 2\.0 advisory: document\.tracking\.id: missing$/m);
    expect(listAdvisories(db).map((a) => a.id).sort()).toEqual(['ICSMA-18-156-01', 'ICSMA-20-254-01']);
  });

  it('list: id, release date, CVE count, highest CVSS, vendors, products, title', () => {
    const list = listAdvisories(join(work, 'import.db'));
    expect(list).toHaveLength(144);
    const table = formatAdvisoryList(list, 'table');
    expect(table.split('\n')[0]).toMatch(/^ID\s+RELEASED\s+CVES\s+MAX CVSS\s+VENDORS\s+PRODUCTS\s+TITLE$/);
    expect(table).toMatch(/^ICSMA-20-254-01\s+2023-12-14\s+8\s+6\.8\s+Philips\s+7: Patient Information Center iX/m);
    expect(table).toMatch(/^ICSMA-18-025-01\s+2018-01-25\s+\d+\s+[\d.]+\s+Phillips\s+/m);
    const json = JSON.parse(formatAdvisoryList(list, 'json'));
    expect(json.find((a: { id: string }) => a.id === 'ICSMA-18-156-01')).toMatchObject({ release_date: '2018-06-05T00:00:00.000Z', vendors: ['Philips'], cve_count: 3, max_cvss: 8.3 });
  });

  it('terminal output escapes control characters of imported text', () => {
    expect(printable('Title\u001b[31m red\u202e')).toBe('Title\\u001b[31m red\\u202e');
  });
});

describe('match: the IntelliVue fixture and the LLDP monitor against the real advisories', () => {
  let db: string;
  beforeAll(async () => {
    db = join(work, 'match.db');
    await ingest(db, ['intellivue-connect.pcap', 'evidence-lldp.pcap', 'dicom-store.pcap']);
    importAdvisories([bundledAdvisoriesDir()], db);
  });

  it('the IntelliVue MP70 (M8007A, firmware M.00.03) is affected by ICSMA-18-156-01 and ICSMA-20-254-01', () => {
    const [r] = matchDevices(db, '00:09:fb:2e:00:31', loadAliases(undefined));
    expect(r.device).toMatchObject({ vendor: 'Philips', model: 'M8007A', firmware: 'M.00.03' });
    expect(r.matches.map((m) => [m.advisory_id, m.status])).toEqual([
      ['ICSMA-18-156-01', 'affected'], ['ICSMA-20-254-01', 'affected'], ['ICSMA-19-255-01', 'potentially_affected'],
    ]);
  });

  it('the LLDP MX800 is compared by its software revision, the GE CT by "every version"; nothing else matches', () => {
    const all = matchDevices(db, undefined, loadAliases(undefined));
    const summary = all.map((x) => `${x.device.vendor} ${x.device.model}: ${x.matches.map((m) => `${m.advisory_id} ${m.status}`).join(', ')}`);
    expect(summary).toEqual([
      'Philips M8007A: ICSMA-18-156-01 affected, ICSMA-20-254-01 affected, ICSMA-19-255-01 potentially_affected',
      'Philips MX800: ICSMA-18-156-01 affected, ICSMA-20-254-01 affected, ICSMA-19-255-01 potentially_affected',
      'GE Healthcare Revolution CT: ICSMA-20-343-01 affected',
    ]);
    const mx800 = all[1].matches[1].products[0];
    expect(mx800.reason).toMatch(/identified firmware: 2\.10\.4 and the advisory's "<=N" are numbered differently|lldp\.software_revision M\.00\.03 is within <= N/);
  });

  it('the demo imports the bundled advisories and names the devices they concern', () => {
    const demo = join(work, 'demo.db');
    copyFileSync(db, demo);
    const text = demoAdvisories(demo);
    expect(text).toMatch(/^advisories: 144 CISA ICS medical advisories imported/);
    expect(text).toMatch(/device \d+ Philips M8007A: affected ICSMA-18-156-01 ICSMA-20-254-01; potentially affected ICSMA-19-255-01/);
  });
});

describe.skipIf(!existsSync(cli))('the executable', () => {
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('read, advisories import, list and match', () => {
    const db = join(work, 'cli.db');
    expect(run(['read', fixture('intellivue-connect.pcap'), '--db', db, '--no-progress']).code).toBe(0);
    const imp = run(['advisories', 'import', bundledAdvisoriesDir(), fixture('advisories/network-indicators.json'), '--db', db]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/145 file\(s\): 145 imported, 0 updated, 0 unchanged, 0 older, 0 error\(s\); 145 advisories stored, 3 network indicator\(s\)$/m);
    const list = run(['advisories', 'list', '--db', db]);
    expect(list.stdout).toMatch(/^145 advisories$/m);
    const match = run(['advisories', 'match', '10.40.0.31', '--db', db, '--format', 'json']);
    expect(match.code, match.stderr).toBe(0);
    const [r] = JSON.parse(match.stdout);
    expect(r.matches.filter((m: { status: string }) => m.status === 'affected').map((m: { advisory_id: string }) => m.advisory_id)).toEqual(['ICSMA-18-156-01', 'ICSMA-20-254-01']);
    const table = run(['advisories', 'match', '--db', db]);
    expect(table.stdout).toMatch(/^ {2}affected {14}ICSMA-18-156-01 {2}CVSS 8\.3 {2}Philips' IntelliVue Patient and Avalon Fetal Monitors$/m);
    expect(table.stdout).toMatch(/^1 device\(s\), 3 advisory match\(es\)$/m);
  });

  it('a malformed file: exit code 1, the file named, the others imported', () => {
    const db = join(work, 'cli-bad.db');
    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"document": {"csaf_version": "2.0"}}');
    const r = run(['advisories', 'import', bad, join(bundledAdvisoriesDir(), 'icsma-20-254-01.json'), '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`error ${bad}: not a CSAF 2.0 advisory: document.tracking: missing`);
    expect(r.stdout).toMatch(/2 file\(s\): 1 imported/);
  });

  it('an invalid alias entry stops matching with the file and entry named', () => {
    const dir = join(work, 'user-fp');
    mkdirSync(join(dir, 'advisories'), { recursive: true });
    writeFileSync(join(dir, 'advisories', 'models.yaml'), '- vendor: Philips\n  model: IntelliVue MX450\n  aliases: ["866062"]\n');
    const r = run(['advisories', 'match', '--db', join(work, 'cli.db'), '--fingerprints', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\.yaml:1 \[IntelliVue MX450\]: "references" must be a list/);
  });
});
