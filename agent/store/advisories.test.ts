/**
 * The advisory tables (migration 5) through AdvisoryStore: insert, replace with the indicators, list,
 * read back the normalised advisories, and read-only use.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractNetworkIndicators } from '../risk/advisory-ioc.js';
import { ADVISORY_FORMAT, parseCsaf, type Advisory } from '../risk/csaf.js';
import { AdvisoryStore } from './advisories.js';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'auscult-advisory-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const load = (path: string): Advisory => {
  const r = parseCsaf(readFileSync(join(root, path), 'utf8'));
  if (!r.ok) throw new Error(r.error);
  return r.advisory;
};
const record = (a: Advisory, source = 'x.json') => ({ advisory: a, source, sha256: 'ab', format: ADVISORY_FORMAT, indicators: extractNetworkIndicators(a) });

describe('AdvisoryStore', () => {
  const db = join(work, 'a.db');
  const intellivue = load('fingerprints/advisories/icsma/icsma-20-254-01.json');
  const ioc = load('test-fixtures/advisories/network-indicators.json');

  it('stores advisories with their summary and indicators, and reads them back', () => {
    const store = AdvisoryStore.open(db);
    expect(store.revision('ICSMA-20-254-01')).toBeNull();
    store.put(record(intellivue, 'icsma-20-254-01.json'), 1000);
    store.put(record(ioc), 1000);
    expect(store.revision('ICSMA-20-254-01')).toEqual({ id: 'ICSMA-20-254-01', revision: '4', currentReleaseMs: Date.parse('2023-12-14T07:00:00Z'), sha256: 'ab', format: ADVISORY_FORMAT });
    expect(store.count()).toBe(2);
    const [first, second] = store.summaries();
    // Newest release first.
    expect(first.id).toBe('AUSCULT-TEST-IOC-01');
    expect(second).toEqual({
      id: 'ICSMA-20-254-01', revision: '4', title: 'Philips Patient Monitoring Devices (Update C)', currentReleaseMs: Date.parse('2023-12-14T07:00:00Z'),
      vendors: ['Philips'],
      products: ['Patient Information Center iX (PICiX)', 'PerformanceBridge Focal Point', 'IntelliVue patient monitor MX100', 'IntelliVue patient monitor MX400-MX850', 'IntelliVue patient monitor MP2-MP90', 'IntelliVue X2', 'IntelliVue X3'],
      cveCount: 8, maxCvss: 6.8, source: 'icsma-20-254-01.json',
    });
    expect(store.advisories().find((a) => a.id === 'ICSMA-20-254-01')).toEqual(intellivue);
    expect(store.indicators().map((i) => i.indicator)).toEqual(['198.51.100.0/24', '2001:db8::15', '203.0.113.119']);
    store.close();
  });

  it('a put replaces the stored revision and its indicators in one transaction', () => {
    const store = AdvisoryStore.open(db);
    const changed: Advisory = { ...ioc, version: '2', vulnerabilities: ioc.vulnerabilities.map((v) => ({ ...v, notes: [] })) };
    store.put(record(changed));
    expect(store.revision('AUSCULT-TEST-IOC-01')?.revision).toBe('2');
    expect(store.indicators().map((i) => i.indicator)).toEqual(['198.51.100.0/24', '2001:db8::15']);
    expect(store.count()).toBe(2);
    store.close();
  });

  it('read-only: readers list while nothing can be written', () => {
    const store = AdvisoryStore.open(db, { readonly: true });
    expect(store.summaries()).toHaveLength(2);
    expect(() => store.put(record(ioc))).toThrow(/readonly/);
    store.close();
    expect(() => AdvisoryStore.open(join(work, 'none.db'), { readonly: true })).toThrow(/no database at/);
  });
});
