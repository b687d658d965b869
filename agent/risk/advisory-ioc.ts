/**
 * Network indicators an advisory tells defenders to act on ("block outbound connections to
 * 202.114.4.0/24"), from its remediations and notes, for the later `advisory-ioc` finding (traffic with
 * such an address). Advisories are full of dotted numbers that are versions ("Philips released Version
 * 12.2.8.100"): an address counts only in a sentence about addresses or traffic, and never right after
 * "version", "release", "build" or "firmware". Defanged addresses ("202.114.4[.]119") are read too.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Advisory } from './csaf.js';

export interface NetworkIndicator {
  advisory_id: string;
  /** The address or CIDR range as written (refanged): "202.114.4.0/24", "2001:db8::1". */
  indicator: string;
  ip_version: 4 | 6;
  /** Prefix length: 32 / 128 for one address. */
  prefix_length: number;
  /** Where it was found: remediation (with its category), vulnerability note, document note. */
  source: string;
  /** CVE of the vulnerability it was found in, if any. */
  cve: string | null;
  /** The sentence naming it (at most 300 characters). */
  context: string;
}

/** A sentence about addresses or traffic. */
const NETWORK_CONTEXT = /\b(block(?:ed|ing|s)?|deny|denied|drop|blacklist|blocklist|deny-?list|firewall|sinkhole|null-?route|egress|outbound|inbound|ip address(?:es)?|ip range|subnet|cidr|beacon\w*|connect(?:s|ion|ions|ed)? (?:to|from|with)|traffic (?:to|from|with)|communicat\w* (?:to|with))\b/i;
/** Words after which a dotted number is a version. */
const VERSION_BEFORE = /\b(version|versions|release|released|build|firmware|software|rev|revision|update|patch|v)\s*$/i;
const CANDIDATE = /(?<![\w.:])((?:\d{1,3}(?:\.|\[\.\])){3}\d{1,3}(?:\/\d{1,2})?|(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:\/\d{1,3})?)(?![\w:]|\.\d)/gi;

function indicatorsIn(text: string, base: Omit<NetworkIndicator, 'indicator' | 'ip_version' | 'prefix_length' | 'context'>): NetworkIndicator[] {
  const out: NetworkIndicator[] = [];
  for (const sentence of text.split(/(?<=[.;!?])\s+(?=[A-Z(])|\n+/)) {
    if (!NETWORK_CONTEXT.test(sentence)) continue;
    for (const m of sentence.matchAll(CANDIDATE)) {
      if (VERSION_BEFORE.test(sentence.slice(0, m.index))) continue;
      const written = m[1].replace(/\[\.\]/g, '.');
      const [address, prefix] = written.split('/');
      const version = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
      // "::" alone, or a time like "12:30": not an address anyone would block.
      if (version === 0 || (version === 6 && address.replace(/:/g, '').length < 2)) continue;
      const max = version === 4 ? 32 : 128;
      const length = prefix === undefined ? max : Number(prefix);
      if (!(length >= 0 && length <= max)) continue;
      out.push({ ...base, indicator: written.toLowerCase(), ip_version: version, prefix_length: length, context: sentence.trim().slice(0, 300) });
    }
  }
  return out;
}

/** Every network indicator the advisory names, each address once (first place it appears). */
export function extractNetworkIndicators(advisory: Advisory): NetworkIndicator[] {
  const found: NetworkIndicator[] = [];
  for (const v of advisory.vulnerabilities) {
    for (const r of v.remediations) found.push(...indicatorsIn(r.details, { advisory_id: advisory.id, source: `remediation (${r.category})`, cve: v.cve }));
    for (const n of v.notes) found.push(...indicatorsIn(n, { advisory_id: advisory.id, source: 'vulnerability note', cve: v.cve }));
  }
  for (const n of advisory.notes) found.push(...indicatorsIn(n, { advisory_id: advisory.id, source: 'document note', cve: null }));
  const seen = new Set<string>();
  return found.filter((i) => !seen.has(i.indicator) && seen.add(i.indicator));
}

/** IPv4/IPv6 address as a bigint, or null. */
function addressBits(ip: string): { version: 4 | 6; bits: bigint } | null {
  if (isIPv4(ip)) return { version: 4, bits: ip.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(ip)) return null;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  let h = head ? head.split(':') : [];
  let t = ip.includes('::') && tail ? tail.split(':') : [];
  // An IPv4 tail ("::ffff:1.2.3.4") is two groups.
  const v4 = (groups: string[]) => groups.flatMap((g) => (isIPv4(g) ? [(Number(g.split('.')[0]) * 256 + Number(g.split('.')[1])).toString(16), (Number(g.split('.')[2]) * 256 + Number(g.split('.')[3])).toString(16)] : [g]));
  h = v4(h);
  t = v4(t);
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return { version: 6, bits: groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n) };
}

/** The indicators as ranges: which ones cover an address a device talked to. */
export class IndicatorIndex {
  private readonly ranges: { version: 4 | 6; low: bigint; high: bigint; indicator: NetworkIndicator }[] = [];

  constructor(indicators: readonly NetworkIndicator[]) {
    for (const i of indicators) {
      const a = addressBits(i.indicator.split('/')[0]);
      if (a === null) continue;
      const width = BigInt(a.version === 4 ? 32 : 128);
      const hostBits = width - BigInt(i.prefix_length);
      const low = (a.bits >> hostBits) << hostBits;
      this.ranges.push({ version: a.version, low, high: low + (1n << hostBits) - 1n, indicator: i });
    }
  }

  /** Indicators whose address or range contains `ip`. */
  lookup(ip: string): NetworkIndicator[] {
    const a = addressBits(ip);
    if (a === null) return [];
    return this.ranges.filter((r) => r.version === a.version && a.bits >= r.low && a.bits <= r.high).map((r) => r.indicator);
  }

  get size(): number {
    return this.ranges.length;
  }
}
