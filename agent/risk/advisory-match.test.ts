/**
 * Matching identified devices against the 144 real CISA ICS medical advisories (bundled copy of
 * ../shared/advisories/icsma). Each case below was checked by hand against the advisory texts: the
 * claims must be exactly the expected ones (anything else is a false claim), and the misses we know
 * of are listed with the reason. Precision and recall over the list are printed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { loadAdvisoryAliases } from './advisory-aliases.js';
import { AdvisoryMatch as AdvisoryJson } from './advisory-json.js';
import { AdvisoryMatcher, matchInputOf, type DeviceForMatching } from './advisory-match.js';
import { parseCsaf, type Advisory } from './csaf.js';

const root = join(import.meta.dirname, '..', '..');
const dir = join(root, 'fingerprints', 'advisories', 'icsma');
const advisories: Advisory[] = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => {
  const r = parseCsaf(readFileSync(join(dir, f), 'utf8'));
  if (!r.ok) throw new Error(`${f}: ${r.error}`);
  return r.advisory;
});
const matcher = new AdvisoryMatcher(advisories, loadAdvisoryAliases());

type Status = 'affected' | 'potentially_affected';
const A: Status = 'affected';
const P: Status = 'potentially_affected';

interface Case {
  name: string;
  device: DeviceForMatching;
  /** Every advisory the device must be matched to, with its status; nothing else may be claimed. */
  expect: Record<string, Status>;
  /** True matches the matcher does not make (known limits), with why. */
  missed?: Record<string, { status: Status; why: string }>;
}

const fw = (...values: string[]) => values.map((value, i) => ({ value, source: i === 0 ? 'identified firmware' : 'lldp.software_revision' }));
const dev = (vendor: string | null, model: string | null, ...versions: string[]): DeviceForMatching => ({ vendor, model, versions: fw(...versions) });

const CASES: Case[] = [
  // Philips patient monitoring.
  { name: 'IntelliVue MP70 (M8007A) M.00.03, as the IntelliVue fixture identifies it', device: dev('Philips', 'M8007A', 'M.00.03'),
    expect: { 'ICSMA-18-156-01': A, 'ICSMA-20-254-01': A, 'ICSMA-19-255-01': P } },
  { name: 'M8007A, firmware unknown', device: dev('Philips', 'M8007A'),
    expect: { 'ICSMA-18-156-01': P, 'ICSMA-20-254-01': P, 'ICSMA-19-255-01': P } },
  { name: 'M8007A A.10.00: below "Rev B-M", within "<=N"', device: dev('Philips', 'M8007A', 'A.10.00'),
    expect: { 'ICSMA-20-254-01': A, 'ICSMA-19-255-01': P } },
  { name: 'M8007A P.01.00: newer than both ranges; only the WLAN module advisory remains possible', device: dev('Philips', 'M8007A', 'P.01.00'),
    expect: { 'ICSMA-19-255-01': P } },
  { name: 'MX800 of the LLDP fixture: firmware 2.10.4 (a component), software M.00.03', device: dev('Philips', 'MX800', '2.10.4', 'M.00.03'),
    expect: { 'ICSMA-18-156-01': A, 'ICSMA-20-254-01': A, 'ICSMA-19-255-01': P } },
  { name: 'MX800 with only the numeric firmware: numbered differently from the releases', device: dev('Philips', 'MX800', '2.10.4'),
    expect: { 'ICSMA-18-156-01': P, 'ICSMA-20-254-01': P, 'ICSMA-19-255-01': P } },
  { name: 'MX450 K.10.20: "MX (MX400-550)" and "MX400-MX850"', device: dev('Philips', 'MX450', 'K.10.20'),
    expect: { 'ICSMA-18-156-01': A, 'ICSMA-20-254-01': A } },
  { name: 'MP5 H.10: MP Series family, MP2-MP90 range, MP5 WLAN', device: dev('Philips', 'MP5', 'H.10'),
    expect: { 'ICSMA-18-156-01': A, 'ICSMA-20-254-01': A, 'ICSMA-19-255-01': P } },
  { name: 'IntelliVue MX40 B.06.10: not an MX400', device: dev('Philips', 'IntelliVue MX40', 'B.06.10'),
    expect: { 'ICSMA-17-255-01': A } },
  { name: 'MX100 M.00.03', device: dev('Philips', 'MX100', 'M.00.03'),
    expect: { 'ICSMA-20-254-01': A },
    missed: { 'ICSMA-18-156-01': { status: A, why: 'the MX100 is named only in a version remark, "(X3/MX100 for Rev M only)"' } } },
  { name: 'PIC iX C.02.01 (alias of Patient Information Center iX)', device: dev('Philips', 'PIC iX', 'C.02.01'),
    expect: { 'ICSMA-20-254-01': A, 'ICSMA-21-322-02': A } },
  { name: 'Efficia CM10, firmware unknown: "Efficia CM Series"', device: dev('Philips', 'Efficia CM10'),
    expect: { 'ICSMA-21-322-02': P } },
  { name: 'SureSigns VS4 A.07.100: "<= S4 A.07.107" is not readable', device: dev('Philips', 'SureSigns VS4', 'A.07.100'),
    expect: { 'ICSMA-20-233-01': P } },
  // Philips near misses: another product line of the same vendor.
  { name: 'Philips Brilliance 64 CT 2.6.1: imaging, none of the monitor advisories', device: dev('Philips', 'Brilliance 64', '2.6.1'),
    expect: { 'ICSMA-18-123-01': A } },
  { name: 'Philips IntelliSpace PACS', device: dev('Philips', 'IntelliSpace PACS'), expect: { 'ICSMA-18-312-01': A } },
  { name: 'Philips Lighting Hue bridge: another company', device: dev('Philips Lighting', 'Hue bridge BSB002', '1.50'), expect: {} },
  { name: 'Philips without a model', device: dev('Philips', null, 'M.00.03'), expect: {} },
  { name: 'M8007A without a vendor', device: dev(null, 'M8007A', 'M.00.03'), expect: {} },
  // GE: imaging against monitors.
  { name: 'GE Revolution CT (the DICOM fixtures\' modality): all versions', device: dev('GE Healthcare', 'Revolution CT', 'revo_ct_22bc.44'),
    expect: { 'ICSMA-20-343-01': A } },
  { name: 'GE CARESCAPE B450 2.1: monitors, not imaging', device: dev('GE Healthcare', 'CARESCAPE B450', '2.1'), expect: { 'ICSMA-20-023-01': A } },
  { name: 'GE B450 3.0: outside "2.X" and "1.X"', device: dev('GE Healthcare', 'B450', '3.0'), expect: {} },
  { name: 'Siemens Healthineers "Revolution CT": not GE', device: dev('Siemens Healthineers', 'Revolution CT'), expect: {} },
  { name: 'GE Versana Essential: not the Senographe "Essential"', device: dev('GE Healthcare', 'Versana Essential'), expect: { 'ICSMA-20-049-02': A } },
  { name: 'GE LOGIQ 100 Pro: "LOGIQ, not including LOGIQ 100 Pro"', device: dev('GE Healthcare', 'LOGIQ 100 Pro'), expect: {} },
  { name: 'GE LOGIQ E9: one of "LOGIQ, not including LOGIQ 100 Pro"', device: dev('GE Healthcare', 'LOGIQ E9'), expect: { 'ICSMA-20-049-02': A } },
  // Other vendors, through the vendor aliases.
  { name: 'BD Alaris 8015 9.19 ("Becton Dickinson")', device: dev('Becton Dickinson', 'Alaris 8015', '9.19'),
    expect: { 'ICSMA-17-017-02': A, 'ICSMA-20-170-06': A, 'ICSMA-20-317-01': A, 'ICSMA-23-194-01': A } },
  { name: 'Welch Allyn Connex Spot Monitor 1.40 (Hillrom and Baxter advisories)', device: dev('Welch Allyn', 'Connex Spot Monitor', '1.40'),
    expect: { 'ICSMA-21-152-01': A, 'ICSMA-24-151-02': A } },
  { name: 'Dräger Infinity Delta', device: dev('Dräger', 'Infinity Delta'), expect: { 'ICSMA-19-022-01': A } },
  { name: 'B. Braun SpaceCom L81 ("B. Braun Medical")', device: dev('B. Braun', 'SpaceCom', 'L81'), expect: { 'ICSMA-20-296-02': A } },
  { name: 'Baxter Sigma Spectrum 8.01.01: 8.x pump; the LVP products depend on the battery module', device: dev('Baxter', 'Sigma Spectrum', '8.01.01'),
    expect: { 'ICSMA-22-251-01': A } },
  { name: 'Medtronic CareLink 2090 ("2090 CareLink Programmer", "CareLink 2090 Programmer")', device: dev('Medtronic', 'CareLink 2090'),
    expect: { 'ICSMA-18-058-01': A, 'ICSMA-18-347-01': A, 'ICSMA-19-080-01': A } },
  { name: 'Roche Accu-Chek Inform II', device: dev('Roche Diagnostics', 'Accu-Chek Inform II'), expect: {},
    missed: { 'ICSMA-18-310-01': { status: P, why: 'the advisory writes the model in the version field under "Point of Care handheld medical devices"' } } },
];

describe('matching on the real ICSMA advisories (hand-checked cases)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const got = Object.fromEntries(matcher.match(c.device).map((m) => [m.advisory_id, m.status]));
      expect(got).toEqual(c.expect);
    });
  }

  it('precision and recall over the hand-checked list', () => {
    let claims = 0;
    let correct = 0;
    let affectedClaims = 0;
    let affectedCorrect = 0;
    let expected = 0;
    for (const c of CASES) {
      const got = matcher.match(c.device);
      const truth = { ...c.expect, ...Object.fromEntries(Object.entries(c.missed ?? {}).map(([k, v]) => [k, v.status])) };
      expected += Object.keys(truth).length;
      for (const m of got) {
        claims++;
        if (truth[m.advisory_id] === m.status) correct++;
        if (m.status === 'affected') {
          affectedClaims++;
          if (truth[m.advisory_id] === 'affected') affectedCorrect++;
        }
      }
    }
    console.log(`advisory matching, ${CASES.length} hand-checked devices: ${claims} claims, ${correct} correct (precision ${(correct / claims).toFixed(3)}; ` +
      `affected ${affectedCorrect}/${affectedClaims}); ${correct}/${expected} true matches found (recall ${(correct / expected).toFixed(3)})`);
    expect(correct).toBe(claims);
    expect(claims).toBe(expected - 2);
  });
});

describe('what a match carries', () => {
  const [m] = matcher.match(dev('Philips', 'M8007A', 'M.00.03')).filter((x) => x.advisory_id === 'ICSMA-20-254-01');

  it('the advisory, the product and why, with the alias source', () => {
    expect(m).toMatchObject({ advisory_id: 'ICSMA-20-254-01', title: 'Philips Patient Monitoring Devices (Update C)', status: 'affected', revision: '4', release_date: '2023-12-14T07:00:00.000Z' });
    expect(m.products).toHaveLength(1);
    expect(m.products[0]).toMatchObject({ product_id: 'CSAFPID-0007', product: 'IntelliVue patient monitor MP2-MP90', version: '<=N', status: 'affected' });
    expect(m.products[0].reason).toBe(
      'model M8007A = IntelliVue MP70 (fingerprints/advisories/models.yaml:34: ICSMA-19-255-01 product CSAFPID-0004: MP20-MP90 (.../7A/...), sixth of eight); ' +
        'MP70 in the range MP2-MP90; identified firmware M.00.03 is within <= N',
    );
  });

  it('CVEs with CVSS base scores, the fixed versions and the remediation texts', () => {
    expect(m.cves.map((c) => `${c.cve} ${c.cvss_base_score}`)).toEqual([
      'CVE-2020-16214 4.2', 'CVE-2020-16218 3.5', 'CVE-2020-16222 5', 'CVE-2020-16228 6', 'CVE-2020-16224 6.5', 'CVE-2020-16220 3.5', 'CVE-2020-16216 6.5', 'CVE-2020-16212 6.8',
    ]);
    expect(m.max_cvss).toBe(6.8);
    expect(m.fixed_versions).toEqual(['N.00', 'N.01', 'M.04']);
    const details = m.remediations.map((r) => r.details);
    expect(details).toContain('IntelliVue Patient Monitors Versions N.00 and N.01');
    // The PIC iX fix is another product's: not offered for a monitor.
    expect(details).not.toContain('Patient Information Center iX (PICiX) Version C.03');
    expect(new Set(details).size).toBe(details.length);
  });

  it('the WLAN advisory says the version is the module\'s', () => {
    const wlan = matcher.match(dev('Philips', 'M8007A', 'M.00.03')).find((x) => x.advisory_id === 'ICSMA-19-255-01')!;
    expect(wlan.products[0].reason).toMatch(/names the WLAN \(wireless LAN module\), whose version auscult does not observe/);
  });

  it('matches validate against the published schema (agent/risk/advisory-json.ts)', () => {
    const check = Compile(AdvisoryJson);
    for (const c of CASES) for (const x of matcher.match(c.device)) expect(check.Check(x), `${c.name}: ${x.advisory_id}`).toBe(true);
  });
});

describe('the matching input from a device object', () => {
  const fixture = (name: string, i: number) => JSON.parse(readFileSync(join(root, 'test-fixtures', name), 'utf8')).devices[i];

  it('IntelliVue fixture: vendor, model, firmware and the software revision it reported', () => {
    expect(matchInputOf(fixture('intellivue-connect.pcap.expected.json', 0))).toEqual({
      vendor: 'Philips', model: 'M8007A', versions: [{ value: 'M.00.03', source: 'identified firmware' }],
    });
  });

  it('LLDP fixture monitor: the identified firmware first, then LLDP-MED\'s software revision', () => {
    const d = fixture('evidence-lldp.pcap.expected.json', 2);
    expect(matchInputOf(d)).toEqual({
      vendor: 'Philips', model: 'MX800', versions: [{ value: '2.10.4', source: 'identified firmware' }, { value: 'M.00.03', source: 'lldp.software_revision' }],
    });
  });
});

describe('product status and CSAF relationships (edited copies of ICSMA-20-254-01)', () => {
  const edited = (patch: (d: Record<string, unknown> & { product_tree: { relationships?: unknown[] }; vulnerabilities: { product_status: Record<string, string[]> }[] }) => void): AdvisoryMatcher => {
    const d = JSON.parse(readFileSync(join(dir, 'icsma-20-254-01.json'), 'utf8'));
    patch(d);
    const r = parseCsaf(JSON.stringify(d));
    if (!r.ok) throw new Error(r.error);
    return new AdvisoryMatcher([r.advisory], loadAdvisoryAliases());
  };

  it('under investigation: potentially affected, whatever the version', () => {
    const m = edited((d) => {
      for (const v of d.vulnerabilities) v.product_status = { known_affected: ['CSAFPID-0001'], under_investigation: ['CSAFPID-0007'] };
    });
    const [x] = m.match(dev('Philips', 'M8007A', 'M.00.03'));
    expect(x.status).toBe('potentially_affected');
    expect(x.products[0].reason).toMatch(/under investigation/);
  });

  it('fixed or known_not_affected only: no match', () => {
    const m = edited((d) => {
      for (const v of d.vulnerabilities) v.product_status = { known_affected: ['CSAFPID-0001'], fixed: ['CSAFPID-0007'], known_not_affected: ['CSAFPID-0006'] };
    });
    expect(m.match(dev('Philips', 'M8007A', 'M.00.03'))).toEqual([]);
    expect(m.match(dev('Philips', 'MX450', 'M.00.03'))).toEqual([]);
  });

  it('a component related to the monitor by a relationship: potentially affected, with the relationship named', () => {
    const m = edited((d) => {
      d.product_tree.relationships = [{
        category: 'default_component_of', product_reference: 'CSAFPID-0004', relates_to_product_reference: 'CSAFPID-0008',
        full_product_name: { name: 'Focal Point A.01 in IntelliVue X2', product_id: 'CSAFPID-REL-1' },
      }];
      for (const v of d.vulnerabilities) v.product_status = { known_affected: ['CSAFPID-REL-1'] };
    });
    const [x] = m.match(dev('Philips', 'X2', 'A.01'));
    expect(x.status).toBe('potentially_affected');
    expect(x.products[0]).toMatchObject({ product_id: 'CSAFPID-REL-1', product: 'IntelliVue X2', version: 'A.01' });
    expect(x.products[0].reason).toMatch(/names the component \(default component of CSAFPID-0008\)/);
  });
});
