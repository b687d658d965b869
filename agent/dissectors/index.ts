/**
 * The dissector registry: every protocol module is listed here once. Packet dissectors are found by
 * table lookup (UDP port, EtherType, SNAP protocol id), so the hot path pays one array read per port; stream
 * dissectors see the first bytes of every TCP direction, on any port.
 */
import { NonIp } from '../decode/counters.js';
import type { PacketView } from '../decode/packet-view.js';
import { cdp } from './cdp.js';
import { dhcp } from './dhcp.js';
import { dhcpv6 } from './dhcpv6.js';
import { dns, llmnr } from './dns.js';
import { mdns } from './mdns.js';
import { browser, nbns } from './netbios.js';
import { ssdp } from './ssdp.js';
import { wsd } from './wsd.js';
import { intellivue } from './intellivue.js';
import { bacnet } from './bacnet.js';
import { http } from './http.js';
import { hl7 } from './hl7.js';
import { dicom } from './dicom.js';
import { poct1a } from './poct1a.js';
import { lldp } from './lldp.js';
import { smb } from './smb.js';
import { snmp } from './snmp.js';
import { ssh } from './ssh.js';
import { tls } from './tls.js';
import { telnet } from './telnet.js';
import { ftp } from './ftp.js';
import { tftp } from './tftp.js';
import { vnc } from './vnc.js';
import { rdp } from './rdp.js';
import { isInventoryOutput, type ClinicalView, type Observation, type PacketDissector, type PacketOutput, type Source, type StreamDissector } from './types.js';
import { HASH, hashRange } from './hash.js';

export const PACKET_DISSECTORS: readonly PacketDissector[] = [
  dhcp, dhcpv6, dns, llmnr, mdns, nbns, browser, ssdp, snmp, lldp, cdp, wsd, intellivue, bacnet, tftp,
];
/** Offered in this order; each probe looks at a byte or two. */
export const STREAM_DISSECTORS: readonly StreamDissector[] = [tls, http, ssh, smb, dicom, hl7, poct1a, telnet, ftp, vnc, rdp];

/** The clinical protocols' views (store/clinical.ts builds the device's clinical block from them), by source. */
export const CLINICAL_VIEWS: ReadonlyMap<Source, ClinicalView> = new Map(
  [...PACKET_DISSECTORS, ...STREAM_DISSECTORS].flatMap((d) => (d.clinical ? [[d.name, d.clinical as ClinicalView] as const] : [])),
);

/** Observations in a packet dissector's output (the rest are typed outputs). */
function observationCount(out: readonly PacketOutput[]): number {
  let n = 0;
  for (const o of out) if (!isInventoryOutput(o)) n++;
  return n;
}

/** Entries of each dissector's repeat cache; cleared whole when full (discovery is a small working set). */
const REPEAT_CACHE_SIZE = 2048;

interface Repeat {
  /** Second hash and length: confirm the first hash's hit. */
  check: number;
  length: number;
  outputs: PacketOutput[];
  /** Observations among the outputs. */
  observations: number;
  /** Free for the consumer of the outputs (the aggregator keeps their rows here). */
  memo: unknown;
}

export class DissectorSet {
  /**
   * Discovery protocols repeat themselves (mDNS and SSDP announcements, LLDP every 30 s): a packet
   * whose sender and bytes equal a recent one gives the same observations without being parsed again.
   */
  private readonly repeats: Map<number, Repeat>[];
  /** Per UDP port: 1 + index into `packet` of the dissector registered on it (0 none). */
  private readonly udp = new Uint8Array(65536);
  private readonly byEtherType = new Map<number, number>();
  /** By SNAP OUI * 0x10000 + protocol id. */
  private readonly bySnap = new Map<number, number>();
  /**
   * Per packet dissector (same index), read on every packet: flat tables rather than properties of
   * dissector objects of as many shapes, so the optimised code does not meet one new shape after another.
   */
  private readonly anyPort: Uint8Array;
  /** Repeat-cache bytes skipped: [from, to) per dissector, -1 when none. */
  private readonly skip: Int32Array;
  private readonly producedBy: Float64Array;
  private readonly rejectedBy: Float64Array;
  /** Observations counted for stream dissectors (countStream), by source. */
  private readonly streamProduced: Record<string, number> = {};

  constructor(
    private readonly packet: readonly PacketDissector[] = PACKET_DISSECTORS,
    readonly stream: readonly StreamDissector[] = STREAM_DISSECTORS,
  ) {
    // One cache per dissector: a protocol whose packets never repeat cannot evict another's.
    this.repeats = packet.map(() => new Map<number, Repeat>());
    this.anyPort = new Uint8Array(packet.length);
    this.skip = new Int32Array(packet.length * 2).fill(-1);
    this.producedBy = new Float64Array(packet.length);
    this.rejectedBy = new Float64Array(packet.length);
    packet.forEach((d, i) => {
      for (const p of d.udpPorts ?? []) this.udp[p] = i + 1;
      for (const t of d.etherTypes ?? []) this.byEtherType.set(t, i);
      for (const [oui, pid] of d.snap ?? []) this.bySnap.set(oui * 0x10000 + pid, i);
      if (d.repeatAnyPort) this.anyPort[i] = 1;
      if (d.repeatSkip) {
        this.skip[2 * i] = d.repeatSkip[0];
        this.skip[2 * i + 1] = d.repeatSkip[1];
      }
    });
    for (const d of stream) this.streamProduced[d.name] = 0;
  }

  /** Packets a dissector rejected as not-its-protocol or malformed, by dissector name (packet dissectors). */
  get rejected(): Record<string, number> {
    const out: Record<string, number> = {};
    this.packet.forEach((d, i) => (out[d.name] = this.rejectedBy[i]));
    for (const d of this.stream) out[d.name] = 0;
    return out;
  }

  /** Observations produced, by dissector name. */
  get produced(): Record<string, number> {
    const out: Record<string, number> = {};
    this.packet.forEach((d, i) => (out[d.name] = this.producedBy[i]));
    for (const [name, n] of Object.entries(this.streamProduced)) out[name] = (out[name] ?? 0) + n;
    return out;
  }

  /** Whether some dissector inspects this UDP datagram (its ports, a payload, a first fragment). */
  wantsUdp(v: PacketView): boolean {
    return v.payloadLen !== 0 && !v.isLaterFragment && (this.udp[v.dstPort] | this.udp[v.srcPort]) !== 0;
  }

  /** Whether some stream dissector's probe accepts the first bytes of a TCP direction. */
  probeStream(first: Buffer): boolean {
    for (const d of this.stream) if (d.probe(first)) return true;
    return false;
  }

  /** Whether some dissector inspects this non-IP frame. */
  wantsFrame(v: PacketView): boolean {
    return this.frameDissector(v) !== undefined;
  }

  /** Run the dissector registered on a UDP packet's ports, if any. */
  inspectUdp(v: PacketView): PacketOutput[] | null {
    if (v.payloadLen === 0 || v.isLaterFragment) return null;
    const slot = this.udp[v.dstPort] || this.udp[v.srcPort];
    return slot === 0 ? null : this.run(slot - 1, v);
  }

  /** Run the dissector registered for a non-IP frame (by EtherType, or SNAP protocol id for 802.3 frames). */
  inspectFrame(v: PacketView): PacketOutput[] | null {
    const d = this.frameDissector(v);
    return d === undefined ? null : this.run(d, v);
  }

  /** Index of the packet dissector for a non-IP frame; spanning tree and other LLC frames have none. */
  private frameDissector(v: PacketView): number | undefined {
    if (v.nonIp === NonIp.LLC_SNAP) {
      const b = v.buf;
      const o = v.l3Off;
      return this.bySnap.get(((b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]) * 0x10000 + ((b[o + 6] << 8) | b[o + 7]));
    }
    return v.etherType <= 1500 ? undefined : this.byEtherType.get(v.etherType);
  }

  /** Count an observation produced by a stream dissector. */
  countStream(o: Observation): void {
    this.streamProduced[o.source] = (this.streamProduced[o.source] ?? 0) + 1;
  }

  /**
   * Whether the list the last inspectUdp/inspectFrame call returned is a repeat: the cached list of an
   * earlier packet (shared: do not change it; its observations carry that packet's time).
   */
  repeat = false;
  /** The repeat-cache entry of the list the last inspectUdp/inspectFrame call returned (null: none). */
  entry: { memo: unknown } | null = null;

  private run(index: number, v: PacketView): PacketOutput[] | null {
    const from = v.ipVersion === 0 ? v.l3Off : v.payloadOff;
    const to = v.ipVersion === 0 ? v.end : v.payloadOff + v.payloadLen;
    // Two independent 32-bit hashes over sender and bytes: a false hit needs both to collide.
    const b = v.buf;
    const sport = this.anyPort[index] === 1 ? 0 : v.srcPort;
    const dport = this.anyPort[index] === 1 ? 0 : v.dstPort;
    let h1 = 0x811c9dc5 ^ sport ^ (dport << 16);
    let h2 = 0x2545f491 ^ Math.imul(sport, 0x9e3779b1) ^ dport;
    const senderFrom = v.srcMacOff >= 0 ? v.srcMacOff : from;
    const senderTo = v.srcMacOff >= 0 ? v.srcMacOff + 6 : from;
    for (let i = senderFrom; i < senderTo; i++) {
      h1 = Math.imul(h1 ^ b[i], 0x01000193);
      h2 = Math.imul(h2 ^ b[i], 0x5bd1e995);
    }
    const ipTo = v.ipVersion === 0 ? 0 : v.srcIpOff + (v.ipVersion === 4 ? 4 : 16);
    for (let i = v.ipVersion === 0 ? 0 : v.srcIpOff; i < ipTo; i++) {
      h1 = Math.imul(h1 ^ b[i], 0x01000193);
      h2 = Math.imul(h2 ^ b[i], 0x5bd1e995);
    }
    // Bytes a protocol changes on every message (a transaction id) do not make it news.
    HASH[0] = h1;
    HASH[1] = h2;
    const skipFrom = this.skip[2 * index];
    if (skipFrom >= 0) {
      hashRange(b, from, Math.min(to, from + skipFrom));
      hashRange(b, Math.min(to, from + this.skip[2 * index + 1]), to);
    } else {
      hashRange(b, from, to);
    }
    h1 = HASH[0];
    h2 = HASH[1];
    h2 ^= h2 >>> 15;
    const repeats = this.repeats[index];
    const hit = repeats.get(h1);
    if (hit !== undefined && hit.check === h2 && hit.length === to - from) {
      this.producedBy[index] += hit.observations;
      this.repeat = true;
      this.entry = hit;
      return hit.outputs;
    }
    this.repeat = false;
    this.entry = null;
    const out = this.parse(index, v);
    if (out !== null) {
      if (repeats.size >= REPEAT_CACHE_SIZE) repeats.clear();
      const entry: Repeat = { check: h2, length: to - from, outputs: out, observations: observationCount(out), memo: null };
      repeats.set(h1, entry);
      this.entry = entry;
    }
    return out;
  }

  private parse(index: number, v: PacketView): PacketOutput[] | null {
    let out: PacketOutput[] | null = null;
    try {
      out = this.packet[index].parse(v);
    } catch {
      // A dissector bug must not stop the capture: count it like malformed input.
      out = null;
    }
    if (out === null) this.rejectedBy[index]++;
    else this.producedBy[index] += observationCount(out);
    return out;
  }
}
