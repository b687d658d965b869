/**
 * The engine on small synthetic libraries: how weights combine, confidence, category refinement,
 * stability against weak contradictions, determinism, overrides, the medical rule, and the index.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leadingChars } from './candidates.js';
import { builtinFingerprintsDir, classify, explain, factsFromDevice, factsFromExample, loadLibrary, sharedFactsKey, type Library } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'auscult-engine-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CATEGORIES = `
- { id: medical-device, label: Medical device, medical: true, criticality: null, description: generic }
- { id: infusion-pump, label: Infusion pump, medical: true, criticality: life-sustaining, parent: medical-device, description: pumps }
- { id: patient-monitor, label: Patient monitor, medical: true, criticality: life-sustaining, parent: medical-device, description: monitors }
- { id: workstation, label: Workstation, medical: false, criticality: null, description: desktops }
- { id: printer, label: Printer, medical: false, criticality: null, description: printers }
- { id: unknown, label: Unknown, medical: false, criticality: null, description: nothing }
`;

interface Sig {
  id: string;
  match: Record<string, unknown>;
  weight: number;
  yields: Record<string, unknown>;
}

let n = 0;
/** A library from signature stubs (each gets a trivial example through its own match; not checked here). */
function lib(sigs: Sig[], files: Record<string, string> = {}, user: Record<string, string> | null = null): Library {
  const dir = join(root, `lib${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'categories.yaml'), CATEGORIES);
  const yaml = sigs
    .map((s) => JSON.stringify({ ...s, description: s.id, examples: [{ evidence: { 'x.y': 1 }, expect: { vendor: 'x' } }], references: ['test'] }))
    .map((j) => `- ${j}`)
    .join('\n');
  writeFileSync(join(dir, 'test.yaml'), yaml + '\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  let userDir: string | undefined;
  if (user) {
    userDir = join(root, `user${n++}`);
    mkdirSync(userDir);
    for (const [name, text] of Object.entries(user)) writeFileSync(join(userDir, name), text);
  }
  const library = loadLibrary({ builtinDir: dir, userDir });
  expect(library.errors).toEqual([]);
  return library;
}

const facts = factsFromExample;

describe('combining signatures', () => {
  it('combines agreeing weights with noisy-OR', () => {
    const l = lib([
      { id: 'a', match: { 'dhcp.vendor_class': 'MSFT 5.0' }, weight: 60, yields: { os: 'Windows' } },
      { id: 'b', match: { 'http.user_agent': { contains: 'Windows NT' } }, weight: 60, yields: { os: 'Windows' } },
    ]);
    const c = classify(facts({ 'dhcp.vendor_class': 'MSFT 5.0', 'http.user_agent': 'Mozilla/5.0 (Windows NT 10.0)' }), l);
    expect(c.os).toMatchObject({ value: 'Windows', score: 84, confidence: 84, source: 'signatures' });
    expect(c.os.signatures.map((h) => h.id)).toEqual(['a', 'b']);
    expect(c.os.signatures[0].matched).toEqual([{ path: 'dhcp.vendor_class', value: 'MSFT 5.0' }]);
  });

  it('scales confidence down by the strongest contradiction', () => {
    const l = lib([
      { id: 'a', match: { mac_vendor: 'X Corp' }, weight: 80, yields: { vendor: 'X' } },
      { id: 'b', match: { 'lldp.manufacturer': 'Y' }, weight: 30, yields: { vendor: 'Y' } },
    ]);
    const c = classify(facts({ mac_vendor: 'X Corp', 'lldp.manufacturer': 'Y' }), l);
    expect(c.vendor).toMatchObject({ value: 'X', score: 80, confidence: 56 });
    expect(c.vendor.alternatives).toEqual([{ value: 'Y', score: 30, signatures: ['b'] }]);
  });

  it('lets a generic category vote support a specific one instead of competing', () => {
    const l = lib([
      { id: 'oui', match: { mac_vendor: 'Baxter International Inc' }, weight: 50, yields: { category: 'medical-device', medical: true } },
      { id: 'pump', match: { 'lldp.model': 'Pump' }, weight: 40, yields: { category: 'infusion-pump' } },
    ]);
    const c = classify(facts({ mac_vendor: 'Baxter International Inc', 'lldp.model': 'Pump' }), l);
    expect(c.category).toMatchObject({ value: 'infusion-pump', score: 70, confidence: 70 });
    expect(c.category.signatures.map((h) => [h.id, h.value])).toEqual([
      ['oui', 'medical-device'],
      ['pump', 'infusion-pump'],
    ]);
    expect(c.criticality).toBe('life-sustaining');
    expect(c.confidence).toBe(70);
  });

  it('fills placeholders from named captures, case-folding equal values', () => {
    const l = lib([
      { id: 'a', match: { 'dhcp.vendor_class': { regex: '^android-dhcp-(?<v>\\d+)$' } }, weight: 80, yields: { os: 'Android {v}' } },
      { id: 'b', match: { 'http.user_agent': { regex: 'Android (?<v>\\d+)' } }, weight: 50, yields: { os: 'ANDROID {v}' } },
    ]);
    const c = classify(facts({ 'dhcp.vendor_class': 'android-dhcp-9', 'http.user_agent': '(Linux; Android 9; X)' }), l);
    expect(c.os).toMatchObject({ value: 'Android 9', score: 90 });
    expect(c.os.alternatives).toEqual([]);
  });

  it('makes vendor spellings canonical (vendors.yaml) so that they agree', () => {
    const l = lib(
      [
        { id: 'oui', match: { oui_vendor: '^Philips Patient' }, weight: 70, yields: { vendor: 'Philips' } },
        { id: 'lldp', match: { 'lldp.manufacturer': { regex: '^(?<m>.+)$' } }, weight: 75, yields: { vendor: '{m}' } },
      ],
      { 'vendors.yaml': "- { name: Philips, aliases: ['^Philips (Medical Systems|Healthcare)'] }\n" },
    );
    const c = classify(facts({ mac_vendor: 'Philips Patient Monitoring', 'lldp.manufacturer': 'Philips Medical Systems' }), l);
    expect(c.vendor).toMatchObject({ value: 'Philips', score: 92.5, confidence: 93, alternatives: [] });
    expect(classify(facts({ 'lldp.manufacturer': 'Philips Lighting' }), l).vendor.value).toBe('Philips Lighting');
  });

  it('reports unknown category and nothing else when no signature matches', () => {
    const c = classify(facts({ 'dhcp.hostname': 'x' }), lib([{ id: 'a', match: { 'dhcp.vendor_class': 'z' }, weight: 50, yields: { os: 'Z' } }]));
    expect(c.category).toMatchObject({ value: 'unknown', confidence: 0, source: 'none' });
    expect(c.vendor.value).toBeNull();
    expect(c.medical).toBe(false);
    expect(c.confidence).toBe(0);
  });
});

describe('stability', () => {
  const l = lib([
    { id: 'weak-x', match: { 'lldp.manufacturer': 'X' }, weight: 55, yields: { vendor: 'X' } },
    { id: 'y-60', match: { 'cdp.platform': 'Y' }, weight: 60, yields: { vendor: 'Y' } },
    { id: 'y-90', match: { 'snmp.sys_descr': 'Y' }, weight: 90, yields: { vendor: 'Y' } },
  ]);

  it('keeps the previous value against a challenger within the margin', () => {
    const c = classify(facts({ 'lldp.manufacturer': 'X', 'cdp.platform': 'Y' }), l, { vendor: { value: 'X' } });
    expect(c.vendor).toMatchObject({ value: 'X', source: 'previous', score: 55, challenger: { value: 'Y', score: 60 } });
    expect(c.vendor.confidence).toBe(Math.round(55 * 0.4));
    expect(classify(facts({ 'lldp.manufacturer': 'X', 'cdp.platform': 'Y' }), l).vendor.value).toBe('Y');
  });

  it('yields to stronger evidence', () => {
    const c = classify(facts({ 'lldp.manufacturer': 'X', 'cdp.platform': 'Y', 'snmp.sys_descr': 'Y' }), l, { vendor: { value: 'X' } });
    expect(c.vendor).toMatchObject({ value: 'Y', source: 'signatures' });
  });

  it('drops a previous value that nothing supports any more', () => {
    const c = classify(facts({ 'cdp.platform': 'Y' }), l, { vendor: { value: 'Gone' } });
    expect(c.vendor).toMatchObject({ value: 'Y', source: 'signatures' });
  });

  it('accepts a stored classification as previous (JSON round trip)', () => {
    const first = classify(facts({ 'lldp.manufacturer': 'X' }), l);
    const stored = JSON.parse(JSON.stringify(first)) as typeof first;
    expect(classify(facts({ 'lldp.manufacturer': 'X', 'cdp.platform': 'Y' }), l, stored).vendor.value).toBe('X');
  });
});

describe('determinism', () => {
  it('gives the same answer whatever the order of evidence and of runs', () => {
    const l = lib([
      { id: 'b-sig', match: { 'cdp.platform': 'P' }, weight: 50, yields: { vendor: 'B' } },
      { id: 'a-sig', match: { 'lldp.manufacturer': 'M' }, weight: 50, yields: { vendor: 'A' } },
    ]);
    const one = classify(facts({ 'cdp.platform': 'P', 'lldp.manufacturer': 'M' }), l);
    const two = classify(facts({ 'lldp.manufacturer': 'M', 'cdp.platform': 'P' }), l);
    expect(two).toEqual(one);
    expect(classify(facts({ 'cdp.platform': 'P', 'lldp.manufacturer': 'M' }), l)).toEqual(one);
    // A tie goes to the value whose signature id sorts first.
    expect(one.vendor).toMatchObject({ value: 'A', score: 50, confidence: 25 });
  });
});

describe('overrides', () => {
  it('win over inference with confidence 100, by MAC or IP, and show in the explanation', () => {
    const l = lib(
      [{ id: 'win', match: { 'dhcp.vendor_class': 'MSFT 5.0' }, weight: 80, yields: { os: 'Windows', category: 'workstation' } }],
      {},
      {
        'overrides.yaml': `
- { mac: "00:11:22:33:44:55", vendor: BD, model: Alaris 8015, category: infusion-pump, location: ICU bed 4, note: asset 1234 }
- { ip: 10.0.0.9, category: printer }
`,
      },
    );
    const device = factsFromDevice({ mac: '00:11:22:33:44:55', evidence: { dhcp: { vendor_class: ['MSFT 5.0'] } } });
    const c = classify(device, l);
    expect(c.category).toMatchObject({ value: 'infusion-pump', confidence: 100, source: 'override' });
    expect(c.category.alternatives).toEqual([{ value: 'workstation', score: 80, signatures: ['win'] }]);
    expect(c.vendor).toMatchObject({ value: 'BD', confidence: 100 });
    expect(c.os).toMatchObject({ value: 'Windows', source: 'signatures' });
    expect(c.medical).toBe(true);
    expect(c.criticality).toBe('life-sustaining');
    expect(c.override).toMatchObject({ key: 'mac 00:11:22:33:44:55', location: 'ICU bed 4', note: 'asset 1234' });
    const text = explain(c).join('\n');
    expect(text).toMatch(/override +mac 00:11:22:33:44:55 .*location "ICU bed 4"/);
    expect(text).toMatch(/category +infusion-pump +\(confidence 100, score 100, override\)/);

    const byIp = classify(factsFromDevice({ mac: 'aa:bb:cc:dd:ee:ff', ips: [{ ip: '10.0.0.9' }] }), l);
    expect(byIp.category).toMatchObject({ value: 'printer', source: 'override' });
    expect(classify(device, l, null, { overrides: false }).category.value).toBe('workstation');
  });
});

describe('medical', () => {
  const l = lib([
    { id: 'windows', match: { 'dhcp.vendor_class': 'MSFT 5.0' }, weight: 80, yields: { os: 'Windows', category: { value: 'workstation', weight: 30 } } },
    { id: 'oui-maker', match: { oui_vendor: '^Maker Medical' }, weight: 70, yields: { vendor: 'Maker', medical: true } },
    { id: 'weak-medical', match: { 'http.server': 'pumpweb' }, weight: 40, yields: { medical: true } },
    { id: 'monitor', match: { protocol: 'intellivue' }, weight: 80, yields: { category: 'patient-monitor' } },
    { id: 'lighting', match: { oui_vendor: '^Maker Lighting' }, weight: 60, yields: { medical: false } },
  ]);

  it('is false for generic IT evidence', () => {
    const c = classify(facts({ 'dhcp.vendor_class': 'MSFT 5.0', mac_vendor: 'Intel Corporate' }), l);
    expect(c).toMatchObject({ medical: false, medical_reason: null, criticality: null });
  });

  it('is true for a medical-manufacturer identity, even on a Windows box', () => {
    const c = classify(facts({ 'dhcp.vendor_class': 'MSFT 5.0', mac_vendor: 'Maker Medical Systems' }), l);
    expect(c).toMatchObject({ medical: true, medical_reason: 'medical identity: oui-maker' });
    expect(c.category.value).toBe('workstation');
  });

  it('needs a confident medical identity', () => {
    expect(classify(facts({ 'http.server': 'pumpweb' }), l).medical).toBe(false);
    expect(classify(facts({ mac_vendor: 'Maker Medical Systems', 'http.server': 'pumpweb' }), l).medical_identity).toMatchObject({ value: 'true', score: 82 });
  });

  it('is true when a clinical category wins', () => {
    const c = classify(facts({ 'intellivue.message': 'connect_indication' }), l);
    expect(c).toMatchObject({ medical: true, medical_reason: 'category patient-monitor is clinical', criticality: 'life-sustaining' });
  });

  it('is false for a consumer division of a medical name', () => {
    expect(classify(facts({ mac_vendor: 'Maker Lighting BV' }), l).medical).toBe(false);
  });
});

describe('index', () => {
  it('visits only signatures indexed under paths the device has', () => {
    const l = lib([
      { id: 'dhcp', match: { 'dhcp.vendor_class': 'MSFT 5.0' }, weight: 80, yields: { os: 'Windows' } },
      { id: 'dicom', match: { 'dicom.modality': 'CT', mac_vendor: { exists: true } }, weight: 50, yields: { category: 'medical-device' } },
      { id: 'either', match: { any: [{ 'cdp.platform': 'x' }, { 'lldp.model': 'y' }] }, weight: 50, yields: { model: 'x' } },
    ]);
    const ids = (f: Record<string, unknown>) => l.candidates.indexed(factsFromExample(f)).map((s) => s.id);
    expect(ids({ 'dhcp.vendor_class': 'MSFT 5.0', mac_vendor: 'Intel' })).toEqual(['dhcp']);
    expect(ids({ 'dicom.modality': 'CT', 'lldp.model': 'y' })).toEqual(['dicom', 'either']);
  });
});

describe('explain', () => {
  it('prints each field with its value, confidence, signatures and the evidence they used', () => {
    const l = lib([
      { id: 'oui', match: { oui_vendor: '^Baxter' }, weight: 70, yields: { vendor: 'Baxter', category: { value: 'medical-device', weight: 50 }, medical: true } },
      { id: 'other', match: { 'lldp.manufacturer': 'Acme' }, weight: 20, yields: { vendor: 'Acme' } },
    ]);
    const lines = explain(classify(facts({ mac_vendor: 'Baxter International Inc', 'lldp.manufacturer': 'Acme' }), l));
    expect(lines).toEqual([
      'category         medical-device  (confidence 50, score 50)',
      '    + oui (weight 50): mac_vendor = "Baxter International Inc"',
      'vendor           Baxter  (confidence 56, score 70)',
      '    + oui (weight 70): mac_vendor = "Baxter International Inc"',
      '    - "Acme" (score 20) from other',
      'medical_identity true  (confidence 70, score 70)',
      '    + oui (weight 70): mac_vendor = "Baxter International Inc"',
      'medical          yes (category medical-device is clinical)',
      'confidence       50',
    ]);
  });
});

describe('sharedFactsKey', () => {
  const l = lib([
    { id: 'svc', match: { service: { ports: { any: [631] } } }, weight: 60, yields: { category: 'printer' } },
    { id: 'not-lab-mac', match: { oui_vendor: '^Acme', not: { mac: { regex: '^00:00:0' } } }, weight: 60, yields: { vendor: 'Acme' } },
    { id: 'by-ip', match: { ip: { prefix: '10.99.' } }, weight: 60, yields: { category: 'workstation' } },
  ]);
  const device = (mac: string, ip: string, ports: number[]) =>
    facts({ mac, mac_vendor: 'Acme Corp', ip, service: ports.map((p) => `tcp/${p}`) });
  const key = (f: ReturnType<typeof device>) => sharedFactsKey(f, l);

  it('is the same for devices that differ only by their addresses, and their classifications are equal', () => {
    const a = device('00:11:22:33:44:01', '10.1.0.1', [631, 80]);
    const b = device('00:11:22:33:44:02', '10.1.0.2', [631, 80]);
    expect(key(a)).not.toBeNull();
    expect(key(a)).toBe(key(b));
    expect(classify(a, l, null)).toEqual(classify(b, l, null));
  });

  it('differs when other evidence differs, or when an address condition has another outcome', () => {
    const a = device('00:11:22:33:44:01', '10.1.0.1', [631]);
    expect(key(a)).not.toBe(key(device('00:11:22:33:44:01', '10.1.0.1', [80])));
    // Same facts but the MAC: the `not mac` condition of not-lab-mac turns, so does the vendor.
    const lab = device('00:00:01:33:44:01', '10.1.0.1', [631]);
    expect(key(lab)).not.toBe(key(a));
    expect(classify(lab, l, null).vendor.value).not.toBe(classify(a, l, null).vendor.value);
  });

  it('is null when a signature names the device address in its evidence', () => {
    expect(key(device('00:11:22:33:44:01', '10.99.0.5', [631]))).toBeNull();
  });
});

describe('vendor-only signatures by first character', () => {
  it('reads the first characters of simple anchored patterns, and gives up on the rest', () => {
    const set = (s: string) => [...(leadingChars(s) ?? ['(none)'])].sort();
    expect(set('^Dell (Inc\\.|EMC|Technologies)$|^Dell$')).toEqual(['d']);
    expect(set('^(HP Inc\\.|Hewlett Packard)$')).toEqual(['h']);
    expect(set('^Lenovo$|^Lenovo \\((Beijing)\\)|^LENOVO\\(BEIJING\\)')).toEqual(['l']);
    expect(set('^(?:Acme|Zeta)|^(?<x>3Com)')).toEqual(['3', 'a', 'z']);
    expect(set('^eQ-3 ')).toEqual(['e']);
    for (const s of ['Philips', '^(Acme)?Medical', '^A?cme', '^.*Philips', '^[AB]cme', '^\\w+', '(?i)^x', '^(?=A)A', '^|^A']) {
      expect(leadingChars(s), s).toBeNull();
    }
  });

  it('finds exactly the signatures evaluating all of them finds, for every vendor in the IEEE registry', () => {
    const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
    const registry = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('oui-data'), 'utf8')) as Record<string, string>;
    const names = new Set(Object.values(registry).map((e) => e.split('\n', 1)[0].trim()));
    for (const extra of ['(locally administered)', '', 'ıbm', 'ſiemens', 'K-tech']) names.add(extra);
    let hits = 0;
    for (const name of names) {
      const all = library.candidates.vendorSignatureIds(name, false);
      expect(library.candidates.vendorSignatureIds(name, true), name).toEqual(all);
      hits += all.length;
    }
    expect(names.size).toBeGreaterThan(20_000);
    expect(hits).toBeGreaterThan(200);
  });
});
