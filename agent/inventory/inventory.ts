/**
 * Turns flow counters, ARP and other layer-2 frames, and the evidence stage's batches (observations,
 * address bindings, conversation marks, instance sightings, derived devices) into devices. It knows no
 * protocol's fields: what it needs from a dissector comes as a typed output (dissectors/types.ts).
 *
 * Between flushes everything is aggregated in memory by (MAC, IP) endpoint; at flush each endpoint is
 * resolved to a device and written in one transaction. Resolution rules:
 * - a device is keyed by its MAC where the MAC is seen at layer 2 (never a group MAC);
 * - a MAC is a router when it sources many IPs without bindings (ARP, DHCP, DHCPv6, LLDP/CDP) for them,
 *   when it has a bound private address and sources public ones it has no binding for (a gateway to
 *   the Internet, a home router), when another MAC sources the same public address unbound too (both
 *   forward it: one remote host is never two devices), or when it sends IPv6 router advertisements. The IPs it sources
 *   for others become IP-only (routed) devices of their own, and what they say about themselves goes
 *   to those devices; the router keeps its own bound and link-local addresses (never forwarded);
 * - a device derived from another device's message (HL7 OBX-18) is created by its MAC and marked
 *   with where it came from;
 * - traffic without layer-2 addresses (raw IP captures) goes to whichever device last held the IP,
 *   else to an IP-only device.
 */
import { EtherType } from '../decode/packet-view.js';
import type { PacketView } from '../decode/packet-view.js';
import {
  ipToString, ipVersionOf, ipWordsToString, isGroupMac, isLocallyAdministeredMac, isNonUnicastIp, macAt,
  macToString, parseMac,
} from '../decode/format.js';
import { type FlowListener, type FlowTable } from '../flows/flow-table.js';
import type {
  BindingRow, ConversationRow, DerivationRow, EvidenceBatch, ObservationRow, SightingRow,
} from '../evidence/aggregator.js';
import { addressScope } from '../decode/address-scope.js';
import type { AddressEvidence, Store, TrafficCounters } from '../store/store.js';
import { macVendor } from './oui.js';
import { serverSide, serviceAnswered, transportName } from './roles.js';
import { KeyedCounters } from '../flows/keyed-counters.js';
import { DEFAULT_DEVICE_CACHE, MacIdCache } from './mac-ids.js';

/** More distinct IPv4 addresses (or IPv6 /64 prefixes) than this, unbound by ARP/DHCP, make a MAC a router. */
export const ROUTER_ADDRESS_THRESHOLD = 3;

/** An address bound to a MAC since the last flush: by ARP or NDP (the inventory's own) or a dissector's binding. */
interface Binding {
  mac: number;
  ip: string;
  /** Which protocols bound it, and the lease: what the store records with the address. */
  evidence: AddressEvidence;
  firstSeenMs: number;
  lastSeenMs: number;
}

// Row layouts of the typed-array aggregates (see KeyedCounters).
/** Endpoint key: MAC hi, MAC lo, VLAN, has-IP, IP x4. Values: packets/bytes sent, received, first, last. */
const EP_KEY = 8;
const EP_VAL = 6;
/** Edge key: client MAC hi/lo, server MAC hi/lo, proto<<16|port, client IP x4, server IP x4. */
const EDGE_KEY = 13;
/** Edge values: flows, packets/bytes to server, packets/bytes to client, first, last. */
const EDGE_VAL = 7;
/** Service key: MAC hi/lo, proto<<16|port, IP x4. Values: flows, first, last. */
const SVC_KEY = 7;
const SVC_VAL = 3;
const TWO32 = 0x100000000;

const EDGE_COUNTED = 1;
const SERVICE_COUNTED = 2;

function counters(firstSeenMs: number, lastSeenMs: number): TrafficCounters {
  return { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, firstSeenMs, lastSeenMs };
}

function widen(t: { firstSeenMs: number; lastSeenMs: number }, firstMs: number, lastMs: number): void {
  if (firstMs < t.firstSeenMs) t.firstSeenMs = firstMs;
  if (lastMs > t.lastSeenMs) t.lastSeenMs = lastMs;
}

export class Inventory implements FlowListener {
  private readonly endpoints = new KeyedCounters(EP_KEY, EP_VAL);
  private readonly edges = new KeyedCounters(EDGE_KEY, EDGE_VAL);
  private readonly services = new KeyedCounters(SVC_KEY, SVC_VAL);
  private bindings = new Map<string, Binding>();
  /** Evidence rows handed over since the last flush (see ObservationAggregator). */
  private observations: ObservationRow[] = [];
  /** TCP conversations marked by a dissector since the last flush (TLS): their edges are marked. */
  private conversations: ConversationRow[] = [];
  /** Instance sightings since the last flush: handed to the store with their ends' device ids. */
  private sightings: SightingRow[] = [];
  /** Devices derived from other devices' messages since the last flush. */
  private derivations: DerivationRow[] = [];
  /**
   * What a MAC not (yet) known as a router said from addresses it has no binding for, as written:
   * moved to the routed devices of those addresses if the MAC turns out to be a router in a later
   * flush (the device set must not depend on when flushes happen). Bounded by MAX_PROVISIONAL.
   */
  private provisional = new Map<number, Provisional[]>();
  private provisionalSize = 0;
  /** MACs that sent an IPv6 router advertisement since the last flush and are not known routers yet. */
  private advertisedRouters = new Set<number>();
  private readonly epKey = new Int32Array(EP_KEY);
  private readonly edgeKey = new Int32Array(EDGE_KEY);
  private readonly svcKey = new Int32Array(SVC_KEY);
  private readonly routers = new Set<number>();
  /** MAC → device id, bounded (the store is the source of truth): see MacIdCache. */
  private readonly macIds: MacIdCache;
  private readonly ipDeviceIds = new Map<string, number>();
  /**
   * Per flow slot of the flow table (side A at 2f, side B at 2f+1): packets and bytes already folded
   * into the rows. Cleared when the flow ends, before its slot takes another flow.
   */
  private readonly reportedPackets: Float64Array;
  private readonly reportedBytes: Float64Array;
  /**
   * Per flow side: the other side's packets and bytes already counted as this side's received. A side
   * is credited only once it has sent (before, its MAC is unknown): the packets it received before then
   * are credited at its first report, so what it received does not depend on when flushes happen.
   */
  private readonly creditedPackets: Float64Array;
  private readonly creditedBytes: Float64Array;
  /** Per flow slot: EDGE_COUNTED, SERVICE_COUNTED once the flow was counted as an edge's, a service's. */
  private readonly counted: Uint8Array;
  /** Flows ended since start, for the summary. */
  flowsReported = 0;

  /** Endpoint, edge, service and address rows waiting for the next flush (what their memory grows with). */
  get pendingRows(): number {
    return this.endpoints.size + this.edges.size + this.services.size + this.bindings.size;
  }

  /**
   * @param flowSlots the flow table's size (`FlowTable.maxFlows`): the per-flow columns are indexed by slot.
   * @param deviceCache MAC → device ids held in memory (MacIdCache).
   */
  constructor(private readonly store: Store, flowSlots: number, deviceCache = DEFAULT_DEVICE_CACHE) {
    this.macIds = new MacIdCache(deviceCache);
    for (const mac of store.routerMacs()) this.routers.add(parseMac(mac));
    this.reportedPackets = new Float64Array(flowSlots * 2);
    this.reportedBytes = new Float64Array(flowSlots * 2);
    this.creditedPackets = new Float64Array(flowSlots * 2);
    this.creditedBytes = new Float64Array(flowSlots * 2);
    this.counted = new Uint8Array(flowSlots);
  }

  /** FlowListener: fold the flow's new packets into endpoint, edge and service rows. */
  flowUpdated(t: FlowTable, f: number, ended: boolean): void {
    this.report(t, f, ended);
    if (ended) {
      // The slot's next flow starts from nothing.
      this.reportedPackets[2 * f] = this.reportedPackets[2 * f + 1] = 0;
      this.reportedBytes[2 * f] = this.reportedBytes[2 * f + 1] = 0;
      this.creditedPackets[2 * f] = this.creditedPackets[2 * f + 1] = 0;
      this.creditedBytes[2 * f] = this.creditedBytes[2 * f + 1] = 0;
      this.counted[f] = 0;
    }
  }

  private report(t: FlowTable, f: number, ended: boolean): void {
    const a = 2 * f;
    const b = a + 1;
    const reportedPackets = this.reportedPackets;
    const reportedBytes = this.reportedBytes;
    const dPa = t.packets[a] - reportedPackets[a];
    const dPb = t.packets[b] - reportedPackets[b];
    if (dPa === 0 && dPb === 0) return;
    const dBa = t.bytes[a] - reportedBytes[a];
    const dBb = t.bytes[b] - reportedBytes[b];
    reportedPackets[a] = t.packets[a];
    reportedPackets[b] = t.packets[b];
    reportedBytes[a] = t.bytes[a];
    reportedBytes[b] = t.bytes[b];
    if (ended) this.flowsReported++;

    const firstMs = Math.floor(t.firstTs[f] / 1000);
    const lastMs = Math.floor(t.lastTs[f] / 1000);
    const vlan = t.vlan(f);
    const ka = t.addrAt(f, 0);
    const kb = t.addrAt(f, 1);
    const unicastA = !isNonUnicastIp(t.keys, ka);
    const unicastB = !isNonUnicastIp(t.keys, kb);
    // Each side's own first/last packet: a reply or a late joiner is not seen before it spoke.
    const ms = (us: number) => Math.floor(us / 1000);
    // A side that has sent gets a row: what it sent since the last report, and what it received since
    // it was last credited (for a side that just spoke for the first time, everything so far).
    const cp = this.creditedPackets;
    const cb = this.creditedBytes;
    if (t.packets[a] > 0 && (dPa > 0 || t.packets[b] > cp[a])) {
      this.addEndpoint(t.macs[a], unicastA ? ka : -1, t.keys, vlan, dPa, dBa, t.packets[b] - cp[a], t.bytes[b] - cb[a], ms(t.sideFirstTs[a]), ms(t.sideLastTs[a]));
      cp[a] = t.packets[b];
      cb[a] = t.bytes[b];
    }
    if (t.packets[b] > 0 && (dPb > 0 || t.packets[a] > cp[b])) {
      this.addEndpoint(t.macs[b], unicastB ? kb : -1, t.keys, vlan, dPb, dBb, t.packets[a] - cp[b], t.bytes[a] - cb[b], ms(t.sideFirstTs[b]), ms(t.sideLastTs[b]));
      cp[b] = t.packets[a];
      cb[b] = t.bytes[a];
    }
    if (!unicastA || !unicastB || t.toGroup[f] === 1) return;

    const server = serverSide(t, f);
    const client = 1 - server;
    const protoPort = (t.proto(f) << 16) | t.port(f, server);
    const cMac = t.macs[a + client];
    const sMac = t.macs[a + server];
    const cAt = client === 0 ? ka : kb;
    const sAt = server === 0 ? ka : kb;
    const k = this.edgeKey;
    k[0] = Math.floor(cMac / TWO32);
    k[1] = cMac >>> 0;
    k[2] = Math.floor(sMac / TWO32);
    k[3] = sMac >>> 0;
    k[4] = protoPort;
    for (let i = 0; i < 4; i++) {
      k[5 + i] = t.keys[cAt + i];
      k[9 + i] = t.keys[sAt + i];
    }
    const e = this.edges.entry(k) * EDGE_VAL;
    const v = this.edges.values;
    if (this.edges.created) {
      v[e + 5] = firstMs;
      v[e + 6] = lastMs;
    } else {
      if (firstMs < v[e + 5]) v[e + 5] = firstMs;
      if (lastMs > v[e + 6]) v[e + 6] = lastMs;
    }
    v[e + 1] += client === 0 ? dPa : dPb;
    v[e + 2] += client === 0 ? dBa : dBb;
    v[e + 3] += client === 0 ? dPb : dPa;
    v[e + 4] += client === 0 ? dBb : dBa;
    if ((this.counted[f] & EDGE_COUNTED) === 0) {
      this.counted[f] |= EDGE_COUNTED;
      v[e] += 1;
    }
    if ((this.counted[f] & SERVICE_COUNTED) === 0 && serviceAnswered(t, f, server)) {
      this.counted[f] |= SERVICE_COUNTED;
      const sk = this.svcKey;
      sk[0] = k[2];
      sk[1] = k[3];
      sk[2] = protoPort;
      for (let i = 0; i < 4; i++) sk[3 + i] = k[9 + i];
      const si = this.services.entry(sk) * SVC_VAL;
      const sv = this.services.values;
      sv[si] += 1;
      if (this.services.created || firstMs < sv[si + 1]) sv[si + 1] = firstMs;
      if (lastMs > sv[si + 2]) sv[si + 2] = lastMs;
    }
  }

  /** Add traffic to the (MAC, IP at `words[ipAt]` or none when ipAt < 0, VLAN) endpoint row. */
  private addEndpoint(
    mac: number, ipAt: number, words: Int32Array, vlan: number, ps: number, bs: number, pr: number, br: number,
    firstMs: number, lastMs: number,
  ): void {
    if (mac !== 0 && isGroupMac(mac)) mac = 0;
    if (mac === 0 && ipAt < 0) return;
    const k = this.epKey;
    k[0] = Math.floor(mac / TWO32);
    k[1] = mac >>> 0;
    k[2] = vlan;
    k[3] = ipAt < 0 ? 0 : 1;
    for (let i = 0; i < 4; i++) k[4 + i] = ipAt < 0 ? 0 : words[ipAt + i];
    const e = this.endpoints.entry(k) * EP_VAL;
    const v = this.endpoints.values;
    v[e] += ps;
    v[e + 1] += bs;
    v[e + 2] += pr;
    v[e + 3] += br;
    if (this.endpoints.created || firstMs < v[e + 4]) v[e + 4] = firstMs;
    if (lastMs > v[e + 5]) v[e + 5] = lastMs;
  }

  /** A frame that is not IP (ARP, LLDP, STP...): counts towards its sender's traffic; ARP binds. */
  onLayer2Frame(v: PacketView): void {
    if (v.srcMacOff < 0) return;
    const mac = macAt(v.buf, v.srcMacOff);
    if (mac === 0 || isGroupMac(mac)) return;
    const ms = Math.floor(v.tsMicros / 1000);
    this.addEndpoint(mac, -1, this.epKey, v.vlanOuter, 1, v.wireLen, 0, 0, ms, ms);
    if (v.etherType === EtherType.ARP) this.onArp(v, ms);
  }

  /**
   * A frame whose layers above Ethernet are malformed: its sender MAC (when the link header was whole)
   * counts as a layer-2 endpoint, nothing more is read from it.
   */
  onMalformedFrame(v: PacketView): void {
    if (v.srcMacOff < 0 || v.srcMacOff + 6 > v.buf.length) return;
    const mac = macAt(v.buf, v.srcMacOff);
    if (mac === 0 || isGroupMac(mac)) return;
    const ms = Math.floor(v.tsMicros / 1000);
    this.addEndpoint(mac, -1, this.epKey, v.vlanOuter, 1, v.wireLen, 0, 0, ms, ms);
  }

  /** ARP (RFC 826) for Ethernet/IPv4: the sender's MAC and IP are a binding. */
  private onArp(v: PacketView, ms: number): void {
    const b = v.buf;
    const o = v.l3Off;
    if (b.readUInt16BE(o) !== 1 || b.readUInt16BE(o + 2) !== EtherType.IPV4 || b[o + 4] !== 6 || b[o + 5] !== 4) return;
    const senderMac = macAt(b, o + 8);
    const senderIpNum = b.readUInt32BE(o + 14);
    if (senderMac === 0 || isGroupMac(senderMac) || senderIpNum === 0) return; // ARP probes use 0.0.0.0
    const ip = ipToString(b, o + 14, 4);
    this.bind(senderMac, ip, 'arp', ms, undefined);
    this.store.changes?.arpClaim(ip, macToString(senderMac), ms);
  }

  /**
   * IPv6 Neighbor Discovery (the pipeline hands over ICMPv6 types 134 and 136), valid only with hop
   * limit 255 and code 0 (RFC 4861 sections 6.1.2, 7.1.2). A router advertisement comes only from a
   * router (section 6.2.3), from its link-local address. A neighbor advertisement with the override
   * flag binds its target address to the sender, as ARP does for IPv4 (a proxy clears the flag, 7.2.8).
   */
  onNeighborDiscovery(v: PacketView): void {
    if (v.srcMacOff < 0 || v.ttl !== 255 || v.dstPort !== 0) return;
    const mac = macAt(v.buf, v.srcMacOff);
    if (mac === 0 || isGroupMac(mac)) return;
    if (v.srcPort === 134) {
      if (!this.routers.has(mac) && addressScope(ipToString(v.buf, v.srcIpOff, 6)) === 'link-local') this.advertisedRouters.add(mac);
      return;
    }
    // payloadOff is past the ICMPv6 type, code and checksum: flags (R S O), reserved, target address.
    if (v.payloadLen < 20 || (v.buf[v.payloadOff] & 0x20) === 0) return;
    const target = ipToString(v.buf, v.payloadOff + 4, 6);
    const scope = addressScope(target);
    if (scope !== 'other') this.bind(mac, target, 'ndp', Math.floor(v.tsMicros / 1000), undefined);
  }

  /** One evidence batch of the evidence stage: written at the next flush; its bindings bind addresses. */
  addEvidence(
    batch: Pick<EvidenceBatch, 'observations' | 'bindings' | 'conversations'> & Partial<Pick<EvidenceBatch, 'sightings' | 'derivations'>>,
  ): void {
    for (const c of batch.conversations) this.conversations.push(c);
    for (const r of batch.sightings ?? []) this.sightings.push(r);
    for (const d of batch.derivations ?? []) this.derivations.push(d);
    for (const r of batch.observations) this.observations.push(r);
    for (const b of batch.bindings) this.bind(b.mac, b.ip, b.protocol, b.tsMs, b.leaseSeconds);
  }

  private bind(mac: number, ip: string, protocol: BindingRow['protocol'] | 'arp' | 'ndp', tsMs: number, leaseSeconds: number | undefined): void {
    const key = `${mac}|${ip}`;
    let bnd = this.bindings.get(key);
    if (!bnd) {
      // Every binding's evidence has the same shape (the store reads it once per address written).
      bnd = {
        mac, ip, evidence: { arp: false, ndp: false, dhcp: false, dhcpv6: false, lldp: false, cdp: false, leaseSeconds: undefined },
        firstSeenMs: tsMs, lastSeenMs: tsMs,
      };
      this.bindings.set(key, bnd);
    }
    widen(bnd, tsMs, tsMs);
    bnd.evidence[protocol] = true;
    if (leaseSeconds !== undefined) bnd.evidence.leaseSeconds = leaseSeconds;
  }

  private macDevice(mac: number, tsMs: number, ip: string | null = null): number {
    let id = this.macIds.get(mac);
    if (id === 0) {
      id = this.store.macDeviceId(macToString(mac), macVendor(mac), isLocallyAdministeredMac(mac), tsMs, ip);
      this.macIds.set(mac, id);
    }
    return id;
  }

  /** The device an endpoint belongs to (see the rules at the top of this file). */
  private resolve(mac: number, ip: string | null, tsMs: number): number {
    if (mac !== 0) {
      const id = this.macDevice(mac, tsMs, ip);
      if (ip === null || !this.routers.has(mac) || addressScope(ip) === 'link-local' || this.store.isAuthoritative(id, ip)) return id;
      return this.ipDevice(ip, tsMs);
    }
    if (ip === null) return 0;
    return this.store.deviceHoldingIp(ip) || this.ipDevice(ip, tsMs);
  }

  private ipDevice(ip: string, tsMs: number): number {
    let id = this.ipDeviceIds.get(ip);
    if (id === undefined) {
      // A public address a router forwards, sourced unbound by another MAC before: that MAC forwards it too
      // (one remote host is never two devices, whichever MAC was seen forwarding it first).
      if (addressScope(ip) === 'public') this.markSourcingRouters(this.store.otherMacsSourcing(ip, 0));
      id = this.store.ipDeviceId(ip, tsMs);
      // Bounded: a long capture behind a router meets many addresses; the store stays the source of truth.
      if (this.ipDeviceIds.size >= 100_000) this.ipDeviceIds.clear();
      this.ipDeviceIds.set(ip, id);
    }
    return id;
  }

  /** Write everything aggregated since the last flush, in one transaction. */
  flush(): void {
    const { endpoints: eps, edges, services: svcs } = this;
    const bindings = this.bindings;
    const observations = this.observations;
    const conversations = this.conversations;
    const sightings = this.sightings;
    const derivations = this.derivations;
    const advertised = this.advertisedRouters;
    const rows = eps.size + bindings.size + svcs.size + edges.size + observations.length + conversations.length + sightings.length;
    if (rows + derivations.length + advertised.size === 0) return;
    this.bindings = new Map();
    this.observations = [];
    this.conversations = [];
    this.sightings = [];
    this.derivations = [];
    this.advertisedRouters = new Set();
    const st = this.store;
    st.transaction(() => {
      for (const b of bindings.values()) {
        const id = this.macDevice(b.mac, b.firstSeenMs, b.ip);
        // A router's own address, bound only after its traffic went to a routed device: fold it back.
        if (this.routers.has(b.mac) && st.reclaimRoutedAddress(id, b.ip) !== 0) this.ipDeviceIds.delete(b.ip);
        const version = ipVersionOf(b.ip);
        st.upsertAddress(id, b.ip, version, b.evidence, counters(b.firstSeenMs, b.lastSeenMs));
        st.addTraffic(id, counters(b.firstSeenMs, b.lastSeenMs));
      }
      // A binding can complete the rule for a MAC whose traffic came in an earlier flush.
      const gainedAddresses = new Set<number>();
      for (const b of bindings.values()) if (!this.routers.has(b.mac)) gainedAddresses.add(b.mac);
      for (let i = 0; i < eps.size; i++) {
        const k = i * EP_KEY;
        const v = i * EP_VAL;
        const mac = macFromWords(eps.keys, k);
        const ip = eps.keys[k + 3] === 1 ? ipWordsToString(eps.keys, k + 4) : null;
        const t: TrafficCounters = {
          packetsSent: eps.values[v], bytesSent: eps.values[v + 1], packetsReceived: eps.values[v + 2],
          bytesReceived: eps.values[v + 3], firstSeenMs: eps.values[v + 4], lastSeenMs: eps.values[v + 5],
        };
        const id = this.resolve(mac, ip, t.firstSeenMs);
        if (id === 0) continue;
        st.addTraffic(id, t);
        const vlan = eps.keys[k + 2];
        if (vlan !== 0) st.upsertVlan(id, vlan, t.firstSeenMs, t.lastSeenMs);
        if (ip !== null) {
          st.upsertAddress(id, ip, ipVersionOf(ip), { traffic: true }, t);
          if (mac !== 0 && !this.routers.has(mac)) gainedAddresses.add(mac);
        }
      }
      for (const mac of advertised) this.markRouter(mac);
      for (const mac of gainedAddresses) if (!this.routers.has(mac)) this.detectRouter(mac);
      for (let i = 0; i < svcs.size; i++) {
        const k = i * SVC_KEY;
        const v = i * SVC_VAL;
        const ip = ipWordsToString(svcs.keys, k + 3);
        const mac = macFromWords(svcs.keys, k);
        const id = this.resolve(mac, ip, svcs.values[v + 1]);
        const pp = svcs.keys[k + 2];
        if (id === 0) continue;
        const service = { transport: transportName(pp >>> 16), port: pp & 0xffff, flows: svcs.values[v], firstMs: svcs.values[v + 1], lastMs: svcs.values[v + 2] };
        st.upsertService(id, service.transport, service.port, service.flows, service.firstMs, service.lastMs, ip);
        this.remember(mac, id, ip, { service });
      }
      for (const o of observations) {
        const id = this.resolve(o.mac, o.ip, o.firstSeenMs);
        if (id === 0) continue;
        st.upsertObservation(id, o.source, o.fieldsJson, o.firstSeenMs, o.lastSeenMs, o.count);
        this.remember(o.mac, id, o.ip, { observation: o });
      }
      for (const d of derivations) {
        const from = d.fromMac !== 0 ? this.resolve(d.fromMac, d.fromIp, d.tsMs) : d.fromIp !== null ? st.deviceHoldingIp(d.fromIp) : 0;
        st.markDerived(this.macDevice(d.mac, d.tsMs), from, d.protocol, d.field, d.messageType);
      }
      for (let i = 0; i < edges.size; i++) {
        const k = i * EDGE_KEY;
        const v = i * EDGE_VAL;
        const ev = edges.values;
        const clientMac = macFromWords(edges.keys, k);
        const serverMac = macFromWords(edges.keys, k + 2);
        const clientIp = ipWordsToString(edges.keys, k + 5);
        const serverIp = ipWordsToString(edges.keys, k + 9);
        const pp = edges.keys[k + 4];
        const firstSeenMs = ev[v + 5];
        // A side that never sent has no MAC here: a server that never answered, or a client not heard yet
        // (the capture started mid-conversation). Name it by whoever holds the IP, if anyone, never by a
        // new routed device: the client's own packets may come in the next flush (the device set must
        // not depend on when flushes happen).
        st.upsertEdge({
          clientDeviceId: clientMac !== 0 ? this.resolve(clientMac, clientIp, firstSeenMs) : st.deviceHoldingIp(clientIp),
          serverDeviceId: serverMac !== 0 ? this.resolve(serverMac, serverIp, firstSeenMs) : st.deviceHoldingIp(serverIp),
          clientIp, serverIp, transport: transportName(pp >>> 16), port: pp & 0xffff, flows: ev[v],
          packetsSent: ev[v + 1], bytesSent: ev[v + 2], packetsReceived: ev[v + 3], bytesReceived: ev[v + 4],
          firstSeenMs, lastSeenMs: ev[v + 6],
        });
      }
      // After the edges: a conversation's edge is written by the same flush that reports its mark.
      for (const c of conversations) st.markConversation(c.protocol, c.a, c.b, c.port);
      for (const r of sightings) {
        const sender = this.resolve(r.senderMac, r.senderIp, r.tsMs);
        const receiver = this.resolve(r.receiverMac, r.receiverIp, r.tsMs);
        if (sender !== 0 && receiver !== 0) st.recordInstanceSighting(r.instanceDigest, sender, receiver, r.tsMs);
      }
      st.changes?.flushEnd();
    });
    eps.clear();
    edges.clear();
    svcs.clear();
  }

  /** Apply the router rules (top of this file) to a MAC's addresses as stored. */
  private detectRouter(mac: number): void {
    const id = this.macDevice(mac, 0);
    const v4 = new Set<string>();
    const v6 = new Set<string>();
    const publicV4: string[] = [];
    for (const a of this.store.trafficOnlyAddresses(id)) {
      const scope = addressScope(a.ip);
      if (scope === 'link-local') continue;
      if (a.version === 4) {
        v4.add(a.ip);
        if (scope === 'public') publicV4.push(a.ip);
      } else {
        v6.add(prefix64(a.ip));
      }
    }
    // IPv4 only: a host's own global IPv6 addresses (SLAAC, privacy addresses) have no ARP to bind them.
    const gateway = publicV4.length > 0 && this.store.boundAddresses(id).some((ip) => ipVersionOf(ip) === 4 && addressScope(ip) === 'private');
    if (v4.size > ROUTER_ADDRESS_THRESHOLD || v6.size > ROUTER_ADDRESS_THRESHOLD || gateway) {
      this.markRouter(mac);
      return;
    }
    // At most ROUTER_ADDRESS_THRESHOLD lookups: more public addresses would have made it a router above.
    for (const ip of publicV4) {
      const others = this.store.otherMacsSourcing(ip, id);
      if (others.length === 0 && !this.store.isRoutedAddress(ip)) continue;
      this.markRouter(mac);
      this.markSourcingRouters(others);
      return;
    }
  }

  /** MACs (text form) that sourced an address some router forwards: they forward it too. */
  private markSourcingRouters(macs: readonly string[]): void {
    for (const text of macs) {
      const mac = parseMac(text);
      if (!this.routers.has(mac)) this.markRouter(mac);
    }
  }

  private markRouter(mac: number): void {
    this.routers.add(mac);
    const id = this.macDevice(mac, 0);
    this.store.markRouter(id);
    // What it carried earlier from addresses it does not own is their routed devices'.
    const held = this.provisional.get(mac);
    if (held === undefined) return;
    this.provisional.delete(mac);
    this.provisionalSize -= held.length;
    for (const p of held) {
      if (this.store.isAuthoritative(id, p.ip)) continue;
      const into = this.ipDevice(p.ip, p.observation?.firstSeenMs ?? p.service!.firstMs);
      if (p.observation) {
        const o = p.observation;
        this.store.moveObservation(id, into, o.source, o.fieldsJson, o.firstSeenMs, o.lastSeenMs, o.count);
      } else {
        const sv = p.service!;
        this.store.moveService(id, into, sv.transport, sv.port, sv.flows, sv.firstMs, sv.lastMs, p.ip);
      }
    }
  }

  /** Keep what a non-router MAC device got from an address not bound to it, in case the MAC is a router (provisional). */
  private remember(mac: number, id: number, ip: string | null, what: Omit<Provisional, 'ip'>): void {
    if (mac === 0 || ip === null || this.routers.has(mac) || this.provisionalSize >= MAX_PROVISIONAL) return;
    if (addressScope(ip) === 'link-local' || this.store.isAuthoritative(id, ip)) return;
    let list = this.provisional.get(mac);
    if (list === undefined) this.provisional.set(mac, (list = []));
    list.push({ ip, ...what });
    this.provisionalSize++;
  }
}

/** What remember() keeps: an observation or a service answer, and the address it came from. */
interface Provisional {
  ip: string;
  observation?: ObservationRow;
  service?: { transport: string; port: number; flows: number; firstMs: number; lastMs: number };
}

/** Provisional entries kept at most (about 200 bytes each): past it, later router detections move less. */
const MAX_PROVISIONAL = 50_000;

function macFromWords(words: Int32Array, at: number): number {
  return words[at] * TWO32 + (words[at + 1] >>> 0);
}

/** First four groups of an IPv6 address in text form (its /64 prefix). */
function prefix64(ip: string): string {
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.slice(0, 4).join(':');
}
