/**
 * The findings engine: one device's stored evidence (FindingInput, read by agent/store/findings.ts)
 * against the finding types (fingerprints/findings/types.yaml) gives the findings it has now, each
 * with the observations, peers and facts it rests on. Pure: no database.
 */
import { BlockList, isIP } from 'node:net';
import { CLINICAL_VIEWS } from '../dissectors/index.js';
import { evaluateMatch, type CompiledMatch } from '../identify/conditions.js';
import type { ComputedFinding, FindingInput, PeerInput } from '../store/findings.js';
import type { FindingEvidence } from '../store/finding-json.js';
import type { AdvisoryMatcher } from './advisory-match.js';
import { matchInputOf, OWN_VERSION_FACTS } from './advisory-match.js';
import type { IndicatorIndex } from './advisory-ioc.js';
import type { FindingData, FindingType, LegacyOs } from './finding-types.js';

/** Peers listed per finding at most (a server's clients can be thousands). */
const MAX_PEERS = 50;
/** Observations listed per finding at most. */
const MAX_OBSERVATIONS = 50;
/** Peers whose protocols are looked up per finding at most. */
const MAX_PEERS_CHECKED = 500;

/**
 * What is not a public address (RFC 6890 special-purpose registries): private, shared (CGNAT),
 * loopback, link-local, multicast, documentation, benchmarking, reserved, unique-local IPv6.
 */
const NOT_PUBLIC = new BlockList();
for (const [net, len] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, len, 'ipv4');
for (const [net, len] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b:1::', 48]] as const) {
  NOT_PUBLIC.addSubnet(net, len, 'ipv6');
}

export function isPublicAddress(ip: string): boolean {
  const v = isIP(ip);
  return v !== 0 && !NOT_PUBLIC.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}

/** Every path a match names (the evidence of a finding shows each one the observation has: all its reasons, not only the first). */
function pathsNamed(m: CompiledMatch): string[] {
  return [...new Set([m.all, ...m.any].flatMap((g) => g.conditions.map((c) => c.path)))];
}

/** Protocol prefixes a match names (an observation-scope type is only tried on observations of these). */
function sourcesNamed(m: CompiledMatch): Set<string> {
  const out = new Set<string>();
  for (const g of [m.all, ...m.any]) {
    for (const c of g.conditions) {
      const dot = c.path.indexOf('.');
      if (dot < 0) continue;
      const prefix = c.path.slice(0, dot);
      if (prefix === 'clinical') for (const s of CLINICAL_VIEWS.keys()) out.add(s);
      else if (prefix !== 'device') out.add(prefix);
    }
  }
  return out;
}

/**
 * What the device states of its OS, for the end-of-support table (fingerprints/findings/legacy-os.yaml):
 * `text` is matched, `value` shown. The identified OS; SMB1 NativeOS; browser host announcements as
 * "Windows NT <version>" or "Windows 9x" (Samba's, SV_TYPE_SERVER_UNIX, left out: it announces what it
 * is configured to); User-Agents naming Windows. Not the Windows release of an NTLM VERSION (Samba and
 * macOS send 6.1.x: a claim, not the OS).
 */
function statedOs(d: FindingInput): { text: string; path: string; value: unknown }[] {
  const out: { text: string; path: string; value: unknown }[] = [];
  if (d.os !== null) out.push({ text: d.os, path: 'device.os', value: d.os });
  for (const v of d.evidence.smb?.native_os ?? []) if (typeof v === 'string') out.push({ text: v, path: 'smb.native_os', value: v });
  for (const o of d.observations) {
    const f = o.fields;
    if (o.source === 'browser') {
      const types = Array.isArray(f.server_types) ? f.server_types : [];
      if (types.includes('unix_server')) continue;
      if (types.includes('windows_9x')) out.push({ text: 'Windows 9x', path: 'browser.server_types', value: types });
      else if (typeof f.os_version === 'string') out.push({ text: `Windows NT ${f.os_version}`, path: 'browser.os_version', value: f.os_version });
    } else if (o.source === 'http' && typeof f.user_agent === 'string' && /\bWindows\b/.test(f.user_agent)) {
      out.push({ text: f.user_agent, path: 'http.user_agent', value: f.user_agent });
    }
  }
  return out;
}

export interface FindingContext {
  matcher: AdvisoryMatcher | null;
  indicators: IndicatorIndex | null;
}

const peerJson = (p: PeerInput): FindingEvidence['peers'][number] => ({
  role: p.role, local_ip: p.localIp, peer_ip: p.peerIp, peer_device_id: p.peerDeviceId, transport: p.transport, port: p.port,
  bytes_sent: p.bytesSent, bytes_received: p.bytesReceived, tls: p.tls,
  first_seen: new Date(p.firstMs).toISOString(), last_seen: new Date(p.lastMs).toISOString(),
});

export class FindingsEngine {
  private readonly observationTypes: { type: FindingType; sources: Set<string>; paths: string[] }[];
  private readonly relevantSources = new Set<string>();
  /** The protocols whose observations the engine reads: those the types name, the own-version facts of advisory matching, the OS statements (SMB, browser, HTTP). */
  readonly sources: readonly string[];

  constructor(readonly data: FindingData) {
    this.observationTypes = data.types.filter((t) => t.scope === 'observation' && t.match !== null)
      .map((type) => ({ type, sources: sourcesNamed(type.match as CompiledMatch), paths: pathsNamed(type.match as CompiledMatch) }));
    for (const { sources } of this.observationTypes) for (const s of sources) this.relevantSources.add(s);
    const read = new Set([...this.relevantSources, 'smb', 'browser', 'http', ...OWN_VERSION_FACTS.map((p) => p.split('.')[0])]);
    for (const t of data.types) if (t.match !== null && t.scope !== 'observation') for (const s of sourcesNamed(t.match)) read.add(s);
    this.sources = [...read];
  }

  /** Device-level facts: services, protocols, the identification. */
  private deviceFacts(d: FindingInput, withEvidence: boolean): Map<string, unknown[]> {
    const facts = new Map<string, unknown[]>();
    facts.set('device.medical', [d.medical]);
    facts.set('device.category', [d.category]);
    if (d.criticality !== null) facts.set('device.criticality', [d.criticality]);
    if (d.os !== null) facts.set('device.os', [d.os]);
    if (d.services.length) facts.set('service', d.services);
    if (d.protocols.length) facts.set('protocol', d.protocols);
    if (withEvidence) {
      for (const [protocol, fields] of Object.entries(d.evidence)) for (const [field, values] of Object.entries(fields)) facts.set(`${protocol}.${field}`, values);
    }
    return facts;
  }

  /** The findings the device has now. */
  compute(d: FindingInput, ctx: FindingContext): ComputedFinding[] {
    const out: ComputedFinding[] = [];
    const base = this.deviceFacts(d, false);
    // Observation scope: one facts map per observation of a protocol some type names.
    const hits = new Map<FindingType, { obs: FindingEvidence['observations']; first: number; last: number; sources: Set<string> }>();
    for (const o of d.observations) {
      if (!this.relevantSources.has(o.source)) continue;
      const facts = new Map(base);
      for (const k in o.fields) facts.set(`${o.source}.${k}`, [o.fields[k]]);
      const view = CLINICAL_VIEWS.get(o.source as never);
      if (view !== undefined && (view.applies?.(o.fields as never) ?? true) && o.fields.encrypted !== true) facts.set('clinical.cleartext', [view.protocol]);
      if (o.source === 'tls' && typeof o.fields.cert_not_after === 'string') {
        const notAfter = Date.parse(o.fields.cert_not_after);
        if (Number.isFinite(notAfter)) facts.set('tls.cert_expired', [notAfter < o.lastMs]);
      }
      for (const { type, sources, paths } of this.observationTypes) {
        if (!sources.has(o.source)) continue;
        if (evaluateMatch(type.match as CompiledMatch, facts) === null) continue;
        let h = hits.get(type);
        if (h === undefined) hits.set(type, (h = { obs: [], first: o.firstMs, last: o.lastMs, sources: new Set() }));
        const fields: Record<string, unknown> = {};
        for (const path of paths) {
          const v = facts.get(path)?.[0];
          if (v === undefined || path.startsWith('device.') || path === 'service' || path === 'protocol') continue;
          fields[path.startsWith(`${o.source}.`) ? path.slice(o.source.length + 1) : path] = v;
        }
        // The device's role in the exchange, when the protocol says.
        if (typeof o.fields.role === 'string') fields.role = o.fields.role;
        h.obs.push({ source: o.source, fields, first_seen: new Date(o.firstMs).toISOString(), last_seen: new Date(o.lastMs).toISOString(), count: o.count });
        h.first = Math.min(h.first, o.firstMs);
        h.last = Math.max(h.last, o.lastMs);
        h.sources.add(o.source);
      }
    }
    for (const [type, h] of hits) {
      out.push(this.finding(type, '', { observations: h.obs.slice(0, MAX_OBSERVATIONS), peers: this.peersOf(d, type, h.sources), facts: [] }, h.first, h.last));
    }
    for (const type of this.data.types) {
      if (type.scope === 'device') this.deviceScope(d, type, out);
      else if (type.scope === 'public-peers') this.publicPeers(d, type, base, out);
      else if (type.scope === 'legacy-os') this.legacyOs(d, type, out);
      else if (type.scope === 'advisory' && ctx.matcher !== null) this.advisories(d, type, ctx.matcher, out);
      else if (type.scope === 'advisory-ioc' && ctx.indicators !== null && ctx.indicators.size > 0) this.indicatorHits(d, type, ctx.indicators, out);
    }
    return out;
  }

  private finding(type: FindingType, key: string, evidence: FindingEvidence, firstMs: number, lastMs: number, points = type.points, severity: string = type.severity): ComputedFinding {
    return { type: type.id, key, severity, title: type.title, remediation: type.remediation, references: type.references, points, evidence, firstMs, lastMs };
  }

  /** Conversations on the type's ports, or with a peer that spoke one of the protocols too (clinical ones: outside TLS). */
  private peersOf(d: FindingInput, type: FindingType, sources: ReadonlySet<string>): FindingEvidence['peers'] {
    const out: FindingEvidence['peers'] = [];
    let checked = 0;
    for (const p of d.peers) {
      if (out.length >= MAX_PEERS) break;
      // Fixed ports say it; else a TCP/UDP peer that spoke the protocol too (TLS: on a TLS conversation;
      // a clinical protocol: outside TLS).
      let take = type.ports.includes(`${p.transport}/${p.port}`);
      if (!take && type.ports.length === 0 && p.transport !== 'icmp' && p.peerDeviceId !== null && checked++ < MAX_PEERS_CHECKED) {
        const theirs = d.peerSources(p.peerDeviceId);
        for (const s of sources) {
          if (theirs.has(s) && (s === 'tls' ? p.tls : !(p.tls && CLINICAL_VIEWS.has(s as never)))) take = true;
        }
      }
      if (take) out.push(peerJson(p));
    }
    return out;
  }

  private deviceScope(d: FindingInput, type: FindingType, out: ComputedFinding[]): void {
    const r = evaluateMatch(type.match as CompiledMatch, this.deviceFacts(d, true));
    if (r === null) return;
    const peers = d.peers.filter((p) => p.role === 'server' && type.ports.includes(`${p.transport}/${p.port}`));
    const first = peers.length ? Math.min(...peers.map((p) => p.firstMs)) : d.lastSeenMs;
    const last = peers.length ? Math.max(...peers.map((p) => p.lastMs)) : d.lastSeenMs;
    const facts = r.matched.map((m) => ({ path: m.path, value: m.value }));
    out.push(this.finding(type, '', { observations: [], peers: peers.slice(0, MAX_PEERS).map(peerJson), facts }, first, last));
  }

  private publicPeers(d: FindingInput, type: FindingType, base: Map<string, unknown[]>, out: ComputedFinding[]): void {
    const r = evaluateMatch(type.match as CompiledMatch, base);
    if (r === null) return;
    const peers = d.peers.filter((p) => isPublicAddress(p.peerIp));
    if (!peers.length) return;
    const bytes = peers.reduce((n, p) => n + p.bytesSent + p.bytesReceived, 0);
    out.push(this.finding(type, '', {
      observations: [], peers: peers.slice(0, MAX_PEERS).map(peerJson), facts: r.matched.map((m) => ({ path: m.path, value: m.value })),
      detail: { public_peers: new Set(peers.map((p) => p.peerIp)).size, bytes },
    }, Math.min(...peers.map((p) => p.firstMs)), Math.max(...peers.map((p) => p.lastMs))));
  }

  private legacyOs(d: FindingInput, type: FindingType, out: ComputedFinding[]): void {
    for (const n of statedOs(d)) {
      const eol: LegacyOs | undefined = this.data.legacyOs.find((e) => e.pattern.test(n.text));
      if (eol === undefined || d.lastSeenMs < eol.endOfSupportMs) continue;
      out.push(this.finding(type, '', {
        observations: [], peers: [], facts: [{ path: n.path, value: n.value }],
        detail: { os: eol.name, end_of_support: eol.endOfSupport, references: eol.references },
      }, d.lastSeenMs, d.lastSeenMs));
      return;
    }
  }

  private advisories(d: FindingInput, type: FindingType, matcher: AdvisoryMatcher, out: ComputedFinding[]): void {
    for (const m of matcher.match(matchInputOf(d))) {
      const cvss = m.max_cvss ?? 0;
      const points = type.points + type.cvssFactor * cvss * (m.status === 'affected' ? 1 : 0.5);
      const severity = m.status === 'affected' && cvss >= 9 ? 'critical' : type.severity;
      out.push(this.finding(type, m.advisory_id, { observations: [], peers: [], facts: [], detail: { advisory: m } },
        d.lastSeenMs, d.lastSeenMs, Math.round(points * 10) / 10, severity));
    }
  }

  private indicatorHits(d: FindingInput, type: FindingType, index: IndicatorIndex, out: ComputedFinding[]): void {
    const byIndicator = new Map<string, { peers: PeerInput[]; advisories: Set<string>; context: string }>();
    for (const p of d.peers) {
      for (const i of index.lookup(p.peerIp)) {
        let e = byIndicator.get(i.indicator);
        if (e === undefined) byIndicator.set(i.indicator, (e = { peers: [], advisories: new Set(), context: i.context }));
        e.advisories.add(i.advisory_id);
        if (!e.peers.includes(p)) e.peers.push(p);
      }
    }
    for (const [indicator, e] of byIndicator) {
      out.push(this.finding(type, indicator, {
        observations: [], peers: e.peers.slice(0, MAX_PEERS).map(peerJson), facts: [],
        detail: { indicator, advisories: [...e.advisories], context: e.context },
      }, Math.min(...e.peers.map((p) => p.firstMs)), Math.max(...e.peers.map((p) => p.lastMs))));
    }
  }
}
