/**
 * CSAF 2.0 documents read into advisories: the 144 real CISA ICS medical advisories bundled in
 * fingerprints/advisories/icsma/, and broken documents that must fail with the field named.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRevisions, parseCsaf, type Advisory } from './csaf.js';

const root = join(import.meta.dirname, '..', '..');
const bundled = join(root, 'fingerprints', 'advisories', 'icsma');
const shared = join(root, '..', 'shared', 'advisories', 'icsma');
const files = readdirSync(bundled).filter((f) => f.endsWith('.json')).sort();
const read = (f: string) => readFileSync(join(bundled, f), 'utf8');
const advisory = (f: string): Advisory => {
  const r = parseCsaf(read(f));
  if (!r.ok) throw new Error(`${f}: ${r.error}`);
  return r.advisory;
};

describe('the bundled CISA advisories', () => {
  it('are the 144 files of SHA256SUMS, unchanged', () => {
    const sums = readFileSync(join(bundled, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split(/\s+\*?/));
    expect(files).toHaveLength(144);
    expect(sums.map(([, f]) => f).sort()).toEqual(files);
    for (const [sum, f] of sums) expect(createHash('sha256').update(readFileSync(join(bundled, f))).digest('hex'), f).toBe(sum);
  });

  it.skipIf(!existsSync(shared))('are the files of ../shared/advisories/icsma byte for byte', () => {
    const theirs = readdirSync(shared).filter((f) => f.endsWith('.json')).sort();
    expect(theirs).toEqual(files);
    for (const f of files) expect(readFileSync(join(shared, f)).equals(readFileSync(join(bundled, f))), f).toBe(true);
  });
  if (!existsSync(shared)) console.warn(`bundled-copy comparison skipped: ${shared} not found (../shared sits beside the checkout)`);

  it('all parse, with ids, revisions, products and scored CVEs', () => {
    let products = 0;
    let cves = 0;
    for (const f of files) {
      const a = advisory(f);
      expect(a.id.toLowerCase(), f).toBe(f.replace(/\.json$/, ''));
      expect(a.version).toMatch(/^\d+$/);
      expect(a.products.length, f).toBeGreaterThan(0);
      for (const p of a.products) expect(p.vendor, `${f} ${p.productId}`).not.toBe('');
      products += a.products.length;
      for (const v of a.vulnerabilities) {
        expect(v.affected.length, `${f} ${v.cve}`).toBeGreaterThan(0);
        expect(v.scores[0].baseScore).toBeGreaterThanOrEqual(0);
        cves++;
      }
    }
    // Counted on the files themselves (jq over product_tree leaves and vulnerabilities).
    expect(products).toBe(607);
    expect(cves).toBe(433);
  });

  it('ICSMA-20-254-01: revision 4 of 2023-12-14, IntelliVue products with "<=N", CVSS v3.1 scores, remediations', () => {
    const a = advisory('icsma-20-254-01.json');
    expect(a.version).toBe('4');
    expect(new Date(a.currentReleaseMs).toISOString()).toBe('2023-12-14T07:00:00.000Z');
    expect(new Date(a.initialReleaseMs!).toISOString()).toBe('2020-09-10T06:00:00.000Z');
    const mp = a.products.find((p) => p.productId === 'CSAFPID-0007')!;
    expect(mp).toEqual({ productId: 'CSAFPID-0007', vendor: 'Philips', name: 'IntelliVue patient monitor MP2-MP90', version: '<=N', versionCategory: 'product_version_range' });
    const v = a.vulnerabilities.find((x) => x.cve === 'CVE-2020-16214')!;
    expect(v.scores[0]).toMatchObject({ baseScore: 4.2, cvssVersion: '3.1', severity: 'MEDIUM' });
    expect(v.remediations.find((r) => r.category === 'vendor_fix' && r.productIds.includes('CSAFPID-0007'))?.details).toBe('IntelliVue Patient Monitors Versions N.00 and N.01');
  });
});

// A real document to break: edited freely, so typed loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Editable = Record<string, any>;
const minimal = (patch: (d: Editable) => void = () => {}) => {
  const d = JSON.parse(read('icsma-20-254-01.json')) as Editable;
  patch(d);
  return JSON.stringify(d);
};

describe('broken documents: an error naming what is wrong', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"document": ', /^not JSON/],
    ['an array', '[]', /top level must be a JSON object/],
    ['CSAF 1.2', minimal((d) => (d.document.csaf_version = '1.2')), /document\.csaf_version: "1\.2" \(CSAF 2\.0 expected\)/],
    ['no tracking id', minimal((d) => delete d.document.tracking.id), /document\.tracking\.id: missing/],
    ['bad version', minimal((d) => (d.document.tracking.version = 'Update C')), /document\.tracking\.version: "Update C" is neither/],
    ['bad date', minimal((d) => (d.document.tracking.current_release_date = 'yesterday')), /current_release_date: "yesterday" is not a date-time/],
    ['no title', minimal((d) => delete d.document.title), /document\.title: missing/],
    ['branch without name', minimal((d) => delete d.product_tree.branches[0].branches[0].name), /product_tree\.branches\[0\]\.branches\[0\]\.name: missing/],
    ['unknown product in status', minimal((d) => d.vulnerabilities[0].product_status.known_affected.push('CSAFPID-9999')), /vulnerabilities\[0\]\.product_status: product CSAFPID-9999 is not in the product tree/],
    ['score out of range', minimal((d) => (d.vulnerabilities[1].scores[0].cvss_v3.baseScore = 11)), /vulnerabilities\[1\]\.scores\[0\]: baseScore must be a number from 0 to 10/],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => {
      const r = parseCsaf(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(message);
    });
  }
});

describe('CSAF features the CISA files do not use', () => {
  it('relationships: a component installed in a product keeps its version and names the product (section 3.2.2.4)', () => {
    const r = parseCsaf(minimal((d) => {
      d.product_tree.relationships = [{
        category: 'default_component_of',
        full_product_name: { name: 'WLAN module A.03.09 in MP2-MP90', product_id: 'CSAFPID-REL-1' },
        product_reference: 'CSAFPID-0001',
        relates_to_product_reference: 'CSAFPID-0007',
      }];
    }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.advisory.products.find((p) => p.productId === 'CSAFPID-REL-1')).toEqual({
      productId: 'CSAFPID-REL-1', vendor: 'Philips', name: 'IntelliVue patient monitor MP2-MP90', version: 'B.02', versionCategory: 'product_version',
      componentOf: { category: 'default_component_of', productId: 'CSAFPID-0007' },
    });
  });

  it('product status fixed, first_fixed and under_investigation are kept apart from affected', () => {
    const r = parseCsaf(minimal((d) => {
      d.vulnerabilities[0].product_status = { known_affected: ['CSAFPID-0001'], fixed: ['CSAFPID-0003'], under_investigation: ['CSAFPID-0002'] };
    }));
    expect(r.ok && r.advisory.vulnerabilities[0]).toMatchObject({ affected: ['CSAFPID-0001'], fixed: ['CSAFPID-0003'], underInvestigation: ['CSAFPID-0002'] });
  });
});

describe('revisions', () => {
  const rev = (version: string, date: string) => ({ version, currentReleaseMs: Date.parse(date) });
  it('a higher tracking version is newer, whatever the dates; equal versions go by release date', () => {
    expect(compareRevisions(rev('4', '2023-12-14'), rev('3', '2021-11-08'))).toBe(1);
    expect(compareRevisions(rev('10', '2020-01-01'), rev('9', '2021-01-01'))).toBe(1);
    expect(compareRevisions(rev('2', '2020-01-01'), rev('2', '2020-01-01'))).toBe(0);
    expect(compareRevisions(rev('2', '2020-02-01'), rev('2', '2020-01-01'))).toBe(1);
    expect(compareRevisions(rev('1.2.0', '2020-01-01'), rev('1.10.0', '2020-01-01'))).toBe(-1);
  });
});
