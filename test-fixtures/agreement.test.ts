/**
 * Agreement with tshark on the public corpus, file by file and field by field (see agreement.ts).
 * Every value tshark extracts that auscult does not must be listed, with its reason, in
 * agreement-exceptions.json (and the reasons are summarised in test-fixtures/README.md); a new miss,
 * or a listed miss that is now found, fails the test. Skips with a printed reason without ../shared.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbNameType } from '../agent/dissectors/netbios.js';
import { compare, corpusDir, observationsOf, tsharkIdentities, type FieldMapping, type FileAgreement } from './agreement.js';

const corpus = corpusDir();
const present = existsSync(join(corpus, 'identities.tsv'));
if (!present) console.warn(`agreement tests skipped: ${corpus} not found (../shared sits beside the checkout in CI)`);

const flat = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(flat) : v === undefined || v === null ? [] : [String(v)]);
/** tshark's mdns.name: full owner names; our host names and types lack the `.local` suffix. */
const mdnsName = (v: unknown): string[] => flat(v).map((n) => (/\.(local|arpa)$/i.test(n) ? n.trim() : `${n}.local`));
/** tshark's nbns.name: `NAME<20>`, sometimes followed by the role in parentheses. */
const nbName = (v: unknown): string[] => flat(v).flatMap((n) => {
  const role = nbNameType(n);
  return role ? [n, `${n} (${role})`] : [n];
});
const lines = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(lines) : String(v).split('\n').map((l) => l.trimEnd()).filter((l) => l !== ''));

export const MAPPINGS: readonly FieldMapping[] = [
  { tshark: 'dhcp.vendor_class', protocol: 'dhcp', ours: [['dhcp', 'vendor_class']] },
  { tshark: 'dhcp.hostname', protocol: 'dhcp', ours: [['dhcp', 'hostname']] },
  { tshark: 'dhcp.prl(opt55)', protocol: 'dhcp', ours: [['dhcp', 'parameter_request_list']] },
  {
    tshark: 'mdns.name', protocol: 'mdns', normalise: mdnsName,
    ours: [['mdns', 'hostname'], ['mdns', 'alt_hostnames'], ['mdns', 'service_instances'], ['mdns', 'service_types'], ['mdns', 'queried_service_types'], ['mdns', 'queried_names']],
  },
  { tshark: 'nbns.name', protocol: 'netbios', normalise: nbName, ours: [['nbns', 'names'], ['nbns', 'group_names'], ['nbns', 'queried_names']] },
  { tshark: 'browser.server', protocol: 'netbios', ours: [['browser', 'hostname'], ['browser', 'workgroup']] },
  { tshark: 'browser.os', protocol: 'netbios', ours: [['browser', 'os_version']] },
  // tshark's ssdp.hdr is the whole header line, with its CR LF shown as the text \r\n.
  {
    tshark: 'ssdp.hdr', protocol: 'ssdp', ours: [['ssdp', 'st'], ['ssdp', 'user_agent']],
    normalise: (v, field) => flat(v).flatMap((x) => (field === 'st' ? [`ST: ${x}\\r\\n`, `ST:${x}\\r\\n`] : [`USER-AGENT: ${x}\\r\\n`])),
  },
  { tshark: 'lldp.chassis_mac', protocol: 'lldp', ours: [['lldp', 'chassis_mac']] },
  { tshark: 'lldp.sysname', protocol: 'lldp', ours: [['lldp', 'hostname']] },
  // identities.tsv writes line breaks inside a value as the text \n.
  { tshark: 'lldp.sysdesc', protocol: 'lldp', ours: [['lldp', 'system_description']], normalise: (v) => flat(v).map((x) => x.replace(/\r?\n/g, '\\n')) },
  { tshark: 'cdp.deviceid', protocol: 'cdp', ours: [['cdp', 'hostname']] },
  { tshark: 'cdp.platform', protocol: 'cdp', ours: [['cdp', 'platform']] },
  // tshark shows the software version one line per value, trailing blanks trimmed.
  { tshark: 'cdp.software', protocol: 'cdp', ours: [['cdp', 'software_version']], normalise: lines },
  { tshark: 'http.user_agent', protocol: 'http', ours: [['http', 'user_agent']] },
  { tshark: 'http.server', protocol: 'http', ours: [['http', 'server']] },
  { tshark: 'tls.sni', protocol: 'tls', ours: [['tls', 'server_name']] },
  { tshark: 'tls.ja3', protocol: 'tls', ours: [['tls', 'ja3']] },
  { tshark: 'tls.ja3s', protocol: 'tls', ours: [['tls', 'ja3s']] },
];

const exceptionsPath = join(import.meta.dirname, 'agreement-exceptions.json');
/** "file|tshark field|value" → why auscult does not extract it. */
const exceptions: Record<string, string> = existsSync(exceptionsPath) ? JSON.parse(readFileSync(exceptionsPath, 'utf8')) : {};

describe.skipIf(!present)('agreement with tshark on ../shared/corpus (identities.tsv)', () => {
  it('extracts every identity tshark finds, but for the explained exceptions', { timeout: 240_000 }, async () => {
    const identities = tsharkIdentities(corpus);
    const results: FileAgreement[] = [];
    for (const [file, fields] of identities) {
      if (!existsSync(join(corpus, file))) continue;
      results.push(...compare(file, fields, await observationsOf(join(corpus, file)), MAPPINGS));
    }
    const byField = new Map<string, { matched: number; total: number; protocol: string }>();
    const unexplained: string[] = [];
    const missing = new Set<string>();
    for (const r of results) {
      const agg = byField.get(r.tshark) ?? { matched: 0, total: 0, protocol: r.protocol };
      agg.total += r.expected.length;
      agg.matched += r.expected.length - r.missing.length;
      byField.set(r.tshark, agg);
      for (const v of r.missing) {
        const key = `${r.file}|${r.tshark}|${v}`;
        missing.add(key);
        if (!(key in exceptions)) unexplained.push(key);
      }
    }
    const report = [...byField].map(([f, a]) => `${a.protocol.padEnd(8)} ${f.padEnd(18)} ${a.matched}/${a.total}`).join('\n');
    console.info(`agreement with tshark (distinct values per capture):\n${report}`);
    expect(unexplained, 'values tshark extracts that auscult misses without an explanation').toEqual([]);
    const stale = Object.keys(exceptions).filter((k) => !missing.has(k));
    expect(stale, 'explained misses that are now found: remove them from agreement-exceptions.json').toEqual([]);
  });
});
