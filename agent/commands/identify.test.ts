/**
 * Identification from the command line (the built dist/): `fingerprints check`, overrides from the
 * analyst's directory, `explain`, `reclassify`, the device filters; and the same filters in the API.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../../api/testing/test-app.js';
import { StoreReader } from '../store/reader.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
const fixtures = ['hl7-pcd01.pcap', 'dicom-store.pcap', 'intellivue-connect.pcap', 'lan-dhcp.pcap'].map((f) => join(root, 'test-fixtures', f));
/** The IHE PCD-01 gateway of hl7-pcd01.pcap. */
const GATEWAY_MAC = '00:09:fb:40:00:21';
let work: string;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn', AUSCULT_FINGERPRINTS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Dev { id: number; mac: string | null; vendor: string | null; model: string | null; category: string; medical: boolean; confidence: number; criticality: string | null }

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
  work = mkdtempSync(join(tmpdir(), 'auscult-ident-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('auscult fingerprints check', () => {
  it('passes on the built-in library and counts what it ran', () => {
    const r = run(['fingerprints', 'check']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+ signatures, \d+ examples, \d+ categories, 0 overrides: all good$/m);
    expect(Number(/^(\d+) signatures/m.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(300);
  });

  it('fails, naming file and id, on a user signature without an example', () => {
    const dir = join(work, 'bad');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'mine.yaml'), [
      '- id: my-pump',
      '  description: our pumps',
      '  match: { hostname: { prefix: "PUMP-" } }',
      '  weight: 80',
      '  yields: { category: infusion-pump }',
      '  references: ["asset register"]',
      '',
    ].join('\n'));
    const r = run(['fingerprints', 'check', '--fingerprints', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/mine\.yaml.*my-pump.*example/i);
  });

  it('says so when the user directory does not exist', () => {
    const r = run(['fingerprints', 'check', '--fingerprints', join(work, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fingerprint directory .* not found/);
  });
});

describe('classification in the device object, explain, overrides, reclassify', () => {
  const db = () => join(work, 'i.db');
  const devices = (args: string[] = []): Dev[] => JSON.parse(run(['devices', '--db', db(), '--format', 'json', ...args]).stdout) as Dev[];

  it('identifies the clinical fixtures when reading', () => {
    const r = run(['read', '--db', db(), ...fixtures]);
    expect(r.code, r.stderr).toBe(0);
    const all = devices();
    const ct = all.find((d) => d.category === 'imaging-ct');
    expect(ct).toMatchObject({ vendor: 'GE Healthcare', model: 'Revolution CT', medical: true, criticality: 'diagnostic' });
    expect(all.find((d) => d.category === 'patient-monitor' && d.model === 'M8007A')).toMatchObject({ vendor: 'Philips', medical: true });
    expect(all.filter((d) => d.medical).length).toBeGreaterThanOrEqual(3);
    expect(devices(['--category', 'imaging-ct']).map((d) => d.id)).toEqual([ct!.id]);
    expect(devices(['--medical']).every((d) => d.medical)).toBe(true);
    expect(devices(['--no-medical']).every((d) => !d.medical)).toBe(true);
    expect(devices(['--vendor', 'GE Health']).map((d) => d.id)).toContain(ct!.id);
  });

  it('replaying the same captures gives the same answer', () => {
    const before = devices().map((d) => [d.id, d.vendor, d.model, d.category, d.medical, d.confidence]);
    const r = run(['read', '--force', '--db', db(), ...fixtures]);
    expect(r.code, r.stderr).toBe(0);
    expect(devices().map((d) => [d.id, d.vendor, d.model, d.category, d.medical, d.confidence])).toEqual(before);
    // And classifying everything again, with and without the previous results, changes nothing either.
    expect(run(['reclassify', '--db', db()]).code).toBe(0);
    expect(devices().map((d) => [d.id, d.vendor, d.model, d.category, d.medical, d.confidence])).toEqual(before);
    expect(run(['reclassify', '--fresh', '--db', db()]).code).toBe(0);
    expect(devices().map((d) => [d.id, d.vendor, d.model, d.category, d.medical, d.confidence])).toEqual(before);
  });

  it('explains a device by MAC: fields, signatures, the evidence they matched', () => {
    const ct = devices(['--category', 'imaging-ct'])[0];
    const r = run(['explain', String(ct.id), '--db', db()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/category\s+imaging-ct\s+\(confidence \d+/);
    expect(r.stdout).toMatch(/dicom\.modality = "CT"/);
    expect(r.stdout).toMatch(/evidence \(\d+ observations/);
    expect(run(['explain', '10.99.99.99', '--db', db()]).code).toBe(2);
  });

  it('explain with an address several devices used lists them and asks for an id', () => {
    // lan-dhcp.pcap: dnsmasq leases 10.20.0.101 to the workstation, then, after its release, to the monitor.
    const r = run(['explain', '10.20.0.101', '--db', db()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('auscult: 10.20.0.101 matches 2 devices (the address moved between them, or one is only known behind a router): give one id');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}auscult explain \d+ +00:1b:21:0a:00:21 .*ws-nurse-01 +used 10\.20\.0\.101 \S+ \.\. \S+$/),
      expect.stringMatching(/^ {2}auscult explain \d+ +00:09:fb:0a:00:31 .*used 10\.20\.0\.101 /),
    ]);
    const id = /explain (\d+)/.exec(lines[1])![1];
    expect(run(['explain', id, '--db', db()]).stdout).toMatch(/^device \d+ {2}00:1b:21:0a:00:21/);
  });

  it('explain after reclassify --fresh: a device with nothing to classify says so, not "not classified yet"', () => {
    // routed.pcap adds devices known only by their IP address behind a router.
    expect(run(['read', '--db', db(), join(root, 'test-fixtures', 'routed.pcap')]).code).toBe(0);
    expect(run(['reclassify', '--fresh', '--db', db()]).code).toBe(0);
    const bare = (JSON.parse(run(['devices', '--db', db(), '--format', 'json']).stdout) as (Dev & { classification: unknown; services: unknown[]; evidence: object })[])
      .filter((d) => d.classification === null);
    expect(bare.length).toBeGreaterThan(0);
    for (const d of bare) {
      const r = run(['explain', String(d.id), '--db', db()]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/not classified yet/);
      expect(r.stdout).toMatch(/category unknown: .*such a device gets no stored classification/);
    }
  });

  it('--category with an id no library or device has: exit 2, listing the valid ids', () => {
    const r = run(['devices', '--db', db(), '--category', 'infusion-pumps']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^auscult: --category infusion-pumps is not a category id \(valid: .*\binfusion-pump\b.*\bunknown\b/);
    expect(run(['devices', '--db', db(), '--vendor', 'GE\x1b[2J']).code).toBe(2);
  });

  it('an override from the analyst directory wins, and survives reclassify', () => {
    const dir = join(work, 'mine');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'overrides.yaml'), `- mac: "${GATEWAY_MAC}"\n  vendor: BD\n  model: Alaris 8015\n  category: infusion-pump\n  location: ICU bed 4\n`);
    const r = run(['reclassify', '--db', db(), '--fingerprints', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^classified \d+ devices \(\d+ medical\)/);
    const gw = devices(['--mac', GATEWAY_MAC])[0];
    expect(gw).toMatchObject({ vendor: 'BD', model: 'Alaris 8015', category: 'infusion-pump', confidence: 100, criticality: 'life-sustaining', medical: true });
    expect(run(['explain', GATEWAY_MAC, '--db', db()]).stdout).toMatch(/override.*ICU bed 4/);
    // Kept in the database: the API shows it without the directory.
    expect(devices(['--category', 'infusion-pump']).map((d) => d.mac)).toEqual([GATEWAY_MAC]);
  });

  it('a changed library reclassifies the stored devices at the next ingest, even of another capture', () => {
    const dir = join(work, 'lib2');
    mkdirSync(dir, { recursive: true });
    // Keep the override, and add a signature that names the LAN's Intel workstation by its DHCP host name.
    writeFileSync(join(dir, 'overrides.yaml'), `- mac: "${GATEWAY_MAC}"\n  vendor: BD\n  model: Alaris 8015\n  category: infusion-pump\n`);
    writeFileSync(join(dir, 'mine.yaml'), [
      '- id: our-nurse-workstations',
      '  description: our naming convention for ward workstations',
      '  match: { hostname: { prefix: "ws-nurse-" } }',
      '  weight: 90',
      '  yields: { category: workstation, model: "Ward PC" }',
      '  examples:',
      '    - evidence: { hostname: ws-nurse-01 }',
      '      expect: { category: workstation, model: Ward PC }',
      '  references: ["hospital IT naming convention, document IT-042"]',
      '',
    ].join('\n'));
    const ws = () => devices().find((d) => d.mac === '00:1b:21:0a:00:21')!;
    expect(ws().model).toBeNull();
    const r = run(['read', '--db', db(), '--fingerprints', dir, join(root, 'test-fixtures', 'evidence-ssh.pcap')]);
    expect(r.code, r.stderr).toBe(0);
    expect(ws()).toMatchObject({ category: 'workstation', model: 'Ward PC' });
  });

  it('the API filters by category, medical and vendor, and rejects a malformed filter', async () => {
    const reader = StoreReader.open(db());
    const app = await testApp(reader);
    try {
      const get = async (q: string) => (await app.inject({ url: `/api/v1/devices?${q}` })).json() as { items: Dev[] };
      expect((await get('category=infusion-pump')).items.map((d) => d.mac)).toEqual([GATEWAY_MAC]);
      expect((await get('medical=true')).items.every((d) => d.medical)).toBe(true);
      expect((await get('medical=false')).items.every((d) => !d.medical)).toBe(true);
      expect((await get('vendor=ge%20healthcare')).items.some((d) => d.category === 'imaging-ct')).toBe(true);
      const bad = await app.inject({ url: '/api/v1/devices?category=Not%20A%20Category!' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/category/);
    } finally {
      await app.close();
      reader.close();
    }
  });
});
