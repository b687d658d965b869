/**
 * Network indicators from advisories. The 144 real CISA medical advisories name none (checked by hand:
 * every dotted quad in them is a version, "Philips released Version 12.2.8.100..."), so they must
 * yield none; the hand-built test document test-fixtures/advisories/network-indicators.json (see
 * test-fixtures/README.md) names a range to block, a defanged address and an IPv6 address.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractNetworkIndicators, IndicatorIndex } from './advisory-ioc.js';
import { parseCsaf, type Advisory } from './csaf.js';

const root = join(import.meta.dirname, '..', '..');
const load = (path: string): Advisory => {
  const r = parseCsaf(readFileSync(path, 'utf8'));
  if (!r.ok) throw new Error(`${path}: ${r.error}`);
  return r.advisory;
};
const example = load(join(root, 'test-fixtures', 'advisories', 'network-indicators.json'));

describe('network indicators', () => {
  it('none in the real CISA advisories, whose dotted numbers are versions', () => {
    const dir = join(root, 'fingerprints', 'advisories', 'icsma');
    const found = readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => extractNetworkIndicators(load(join(dir, f))));
    expect(found).toEqual([]);
  });

  it('the range to block, the defanged hard-coded address and the IPv6 address of the test document', () => {
    const found = extractNetworkIndicators(example);
    expect(found.map((i) => [i.indicator, i.ip_version, i.prefix_length, i.source, i.cve])).toEqual([
      ['198.51.100.0/24', 4, 24, 'remediation (mitigation)', 'CVE-0000-00001'],
      ['203.0.113.119', 4, 32, 'vulnerability note', 'CVE-0000-00001'],
      ['2001:db8::15', 6, 128, 'document note', null],
    ]);
    expect(found[0].context).toBe('Block all outbound connections to 198.51.100.0/24, the range that holds the hard-coded address, at the perimeter firewall.');
  });

  it('versions that look like addresses are not indicators, even in a sentence about blocking', () => {
    const indicators = extractNetworkIndicators(example).map((i) => i.indicator);
    for (const v of ['12.2.8.100', '10.0.0.1', '10.1.2.3', '2.0.0.1']) expect(indicators).not.toContain(v);
  });

  it('an address in a sentence about something else is not one ("Its manual gives 10.0.0.0/8 for the central station")', () => {
    expect(extractNetworkIndicators(example).map((i) => i.indicator)).not.toContain('10.0.0.0/8');
  });

  it('the index finds the indicators that cover an address', () => {
    const index = new IndicatorIndex(extractNetworkIndicators(example));
    expect(index.size).toBe(3);
    expect(index.lookup('198.51.100.77').map((i) => i.indicator)).toEqual(['198.51.100.0/24']);
    expect(index.lookup('203.0.113.119').map((i) => i.indicator)).toEqual(['203.0.113.119']);
    expect(index.lookup('203.0.113.120')).toEqual([]);
    expect(index.lookup('2001:db8:0:0::15').map((i) => i.indicator)).toEqual(['2001:db8::15']);
    expect(index.lookup('::ffff:198.51.100.1')).toEqual([]);
    expect(index.lookup('not an address')).toEqual([]);
  });
});
