/**
 * Turns flow counters, ARP, DHCP and other layer-2 frames into devices.
 *
 * Between flushes everything is aggregated in memory by (MAC, IP) endpoint; at flush each endpoint is
 * resolved to a device and written in one transaction. Resolution rules:
 * - a device is keyed by its MAC where the MAC is seen at layer 2 (never a group MAC);
 * - a MAC that sources many IPs without ARP/DHCP bindings for them is a router: those IPs become
 *   IP-only devices of their own, and the router keeps only its own bound addresses;
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
import type { Observation } from '../dissectors/types.js';
import type { Store, TrafficCounters } from '../store/store.js';
import { macVendor } from './oui.js';
import { serverSide, serviceAnswered, transportName } from './roles.js';

/** More distinct IPv4 addresses (or IPv6 /64 prefixes) than this, unbound by ARP/DHCP, make a MAC a router. */
export const ROUTER_ADDRESS_THRESHOLD = 3;

interface Endpoint extends TrafficCounters {
  mac: number;
  ip: string | null;
  version: number;
  vlan: number;
}

interface Binding {
  mac: number;
  ip: string;
  arp: boolean;
  dhcp: boolean;
  leaseSeconds?: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

interface ServiceDelta {
  mac: number;
  ip: string;
  transport: string;
  port: number;
  flows: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

interface EdgeAcc extends TrafficCounters {
  clientMac: number;
  clientIp: string;
  serverMac: number;
  serverIp: string;
  transport: string;
  port: number;
  flows: number;
}

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
  private endpoints = new Map<string, Endpoint>();
  private bindings = new Map<string, Binding>();
  private services = new Map<string, ServiceDelta>();
  private edges = new Map<string, EdgeAcc>();
  private readonly routers = new Set<number>();
  private readonly macIds = new Map<number, number>();
  /** Flows ended or reported since start, for the summary. */
  flowsReported = 0;

  constructor(private readonly store: Store) {
    for (const mac of store.routerMacs()) this.routers.add(parseMac(mac));
  }

  /** FlowListener: fold the flow's new packets into endpoint, edge and service deltas. */
  flowUpdated(t: FlowTable, f: number, ended: boolean): void {
    const a = 2 * f;
    const b = a + 1;
    const dPa = t.packets[a] - t.reportedPackets[a];
    const dPb = t.packets[b] - t.reportedPackets[b];
    if (dPa === 0 && dPb === 0) return;
    const dBa = t.bytes[a] - t.reportedBytes[a];
    const dBb = t.bytes[b] - t.reportedBytes[b];
    t.reportedPackets[a] = t.packets[a];
    t.reportedPackets[b] = t.packets[b];
    t.reportedBytes[a] = t.bytes[a];
    t.reportedBytes[b] = t.bytes[b];
    if (ended) this.flowsReported++;

    const firstMs = Math.floor(t.firstTs[f] / 1000);
    const lastMs = Math.floor(t.lastTs[f] / 1000);
    const vlan = t.vlan(f);
    const keyBase = f * 10;
    const unicastA = !isNonUnicastIp(t.keys, keyBase + 2);
    const unicastB = !isNonUnicastIp(t.keys, keyBase + 6);
    const ipA = ipWordsToString(t.keys, keyBase + 2);
    const ipB = ipWordsToString(t.keys, keyBase + 6);
    if (dPa > 0) this.addEndpoint(t.macs[a], unicastA ? ipA : null, vlan, dPa, dBa, dPb, dBb, firstMs, lastMs);
    if (dPb > 0) this.addEndpoint(t.macs[b], unicastB ? ipB : null, vlan, dPb, dBb, dPa, dBa, firstMs, lastMs);
    if (!unicastA || !unicastB || t.toGroup[f] === 1) return;

    const server = serverSide(t, f);
    const client = 1 - server;
    const proto = t.proto(f);
    const transport = transportName(proto);
    const port = t.port(f, server);
    const sIp = server === 0 ? ipA : ipB;
    const cIp = server === 0 ? ipB : ipA;
    const key = `${t.macs[a + client]}|${cIp}|${t.macs[a + server]}|${sIp}|${transport}|${port}`;
    let e = this.edges.get(key);
    if (!e) {
      e = {
        ...counters(firstMs, lastMs), clientMac: t.macs[a + client], clientIp: cIp, serverMac: t.macs[a + server],
        serverIp: sIp, transport, port, flows: 0,
      };
      this.edges.set(key, e);
    }
    widen(e, firstMs, lastMs);
    e.packetsSent += client === 0 ? dPa : dPb; // client → server
    e.bytesSent += client === 0 ? dBa : dBb;
    e.packetsReceived += client === 0 ? dPb : dPa;
    e.bytesReceived += client === 0 ? dBb : dBa;
    if ((t.announced[f] & EDGE_COUNTED) === 0) {
      t.announced[f] |= EDGE_COUNTED;
      e.flows++;
    }
    if ((t.announced[f] & SERVICE_COUNTED) === 0 && serviceAnswered(t, f, server)) {
      t.announced[f] |= SERVICE_COUNTED;
      const skey = `${t.macs[a + server]}|${sIp}|${transport}|${port}`;
      const s = this.services.get(skey);
      if (s) {
        s.flows++;
        widen(s, firstMs, lastMs);
      } else {
        this.services.set(skey, { mac: t.macs[a + server], ip: sIp, transport, port, flows: 1, firstSeenMs: firstMs, lastSeenMs: lastMs });
      }
    }
  }

  private addEndpoint(
    mac: number, ip: string | null, vlan: number, ps: number, bs: number, pr: number, br: number,
    firstMs: number, lastMs: number,
  ): void {
    if (mac !== 0 && isGroupMac(mac)) mac = 0;
    if (mac === 0 && ip === null) return;
    const key = `${mac}|${ip ?? ''}|${vlan}`;
    let ep = this.endpoints.get(key);
    if (!ep) {
      ep = { ...counters(firstMs, lastMs), mac, ip, version: ip === null ? 0 : ipVersionOf(ip), vlan };
      this.endpoints.set(key, ep);
    }
    widen(ep, firstMs, lastMs);
    ep.packetsSent += ps;
    ep.bytesSent += bs;
    ep.packetsReceived += pr;
    ep.bytesReceived += br;
  }

  /** A frame that is not IP (ARP, LLDP, STP...): counts towards its sender's traffic; ARP binds. */
  onLayer2Frame(v: PacketView): void {
    if (v.srcMacOff < 0) return;
    const mac = macAt(v.buf, v.srcMacOff);
    if (mac === 0 || isGroupMac(mac)) return;
    const ms = Math.floor(v.tsMicros / 1000);
    this.addEndpoint(mac, null, v.vlanOuter, 1, v.wireLen, 0, 0, ms, ms);
    if (v.etherType === EtherType.ARP) this.onArp(v, ms);
  }

  /** ARP (RFC 826) for Ethernet/IPv4: the sender's MAC and IP are a binding. */
  private onArp(v: PacketView, ms: number): void {
    const b = v.buf;
    const o = v.l3Off;
    if (b.readUInt16BE(o) !== 1 || b.readUInt16BE(o + 2) !== EtherType.IPV4 || b[o + 4] !== 6 || b[o + 5] !== 4) return;
    const senderMac = macAt(b, o + 8);
    const senderIpNum = b.readUInt32BE(o + 14);
    if (senderMac === 0 || isGroupMac(senderMac) || senderIpNum === 0) return; // ARP probes use 0.0.0.0
    this.bind(senderMac, ipToString(b, o + 14, 4), 'arp', ms);
  }

  /** Evidence from a dissector. DHCP ACKs bind the assigned address to the client MAC. */
  observe(obs: Observation): void {
    if (obs.source === 'dhcp' && obs.fields.message_type === 'ACK') {
      const mac = parseMac(String(obs.fields.client_mac));
      const ip = (obs.fields.assigned_ip ?? obs.fields.client_ip) as string | undefined;
      if (!Number.isNaN(mac) && mac !== 0 && ip) {
        this.bind(mac, ip, 'dhcp', obs.tsMs, obs.fields.lease_seconds as number | undefined);
      }
    }
  }

  private bind(mac: number, ip: string, how: 'arp' | 'dhcp', ms: number, leaseSeconds?: number): void {
    const key = `${mac}|${ip}`;
    let bnd = this.bindings.get(key);
    if (!bnd) {
      bnd = { mac, ip, arp: false, dhcp: false, firstSeenMs: ms, lastSeenMs: ms };
      this.bindings.set(key, bnd);
    }
    widen(bnd, ms, ms);
    if (how === 'arp') bnd.arp = true;
    else {
      bnd.dhcp = true;
      if (leaseSeconds !== undefined) bnd.leaseSeconds = leaseSeconds;
    }
  }

  private macDevice(mac: number, tsMs: number): number {
    let id = this.macIds.get(mac);
    if (id === undefined) {
      id = this.store.macDeviceId(macToString(mac), macVendor(mac), isLocallyAdministeredMac(mac), tsMs);
      this.macIds.set(mac, id);
    }
    return id;
  }

  /** The device an endpoint belongs to (see the rules at the top of this file). */
  private resolve(mac: number, ip: string | null, tsMs: number): number {
    if (mac !== 0) {
      const id = this.macDevice(mac, tsMs);
      if (ip === null || !this.routers.has(mac) || this.store.isAuthoritative(id, ip)) return id;
      return this.store.ipDeviceId(ip, tsMs);
    }
    if (ip === null) return 0;
    return this.store.deviceHoldingIp(ip) || this.store.ipDeviceId(ip, tsMs);
  }

  /** Write everything aggregated since the last flush, in one transaction. */
  flush(): void {
    const endpoints = this.endpoints;
    const bindings = this.bindings;
    const services = this.services;
    const edges = this.edges;
    if (endpoints.size + bindings.size + services.size + edges.size === 0) return;
    this.endpoints = new Map();
    this.bindings = new Map();
    this.services = new Map();
    this.edges = new Map();
    const st = this.store;
    st.transaction(() => {
      for (const b of bindings.values()) {
        const id = this.macDevice(b.mac, b.firstSeenMs);
        const version = ipVersionOf(b.ip);
        st.upsertAddress(id, b.ip, version, { arp: b.arp, dhcp: b.dhcp, dhcpLeaseSeconds: b.leaseSeconds }, counters(b.firstSeenMs, b.lastSeenMs));
        st.addTraffic(id, counters(b.firstSeenMs, b.lastSeenMs));
      }
      const gainedAddresses = new Set<number>();
      for (const ep of endpoints.values()) {
        const id = this.resolve(ep.mac, ep.ip, ep.firstSeenMs);
        if (id === 0) continue;
        st.addTraffic(id, ep);
        if (ep.vlan !== 0) st.upsertVlan(id, ep.vlan, ep.firstSeenMs, ep.lastSeenMs);
        if (ep.ip !== null) {
          st.upsertAddress(id, ep.ip, ep.version, { traffic: true }, ep);
          if (ep.mac !== 0 && !this.routers.has(ep.mac)) gainedAddresses.add(ep.mac);
        }
      }
      for (const mac of gainedAddresses) this.detectRouter(mac);
      for (const s of services.values()) {
        const id = this.resolve(s.mac, s.ip, s.firstSeenMs);
        if (id !== 0) st.upsertService(id, s.transport, s.port, s.flows, s.firstSeenMs, s.lastSeenMs);
      }
      for (const e of edges.values()) {
        const clientId = this.resolve(e.clientMac, e.clientIp, e.firstSeenMs);
        // A server that never answered has no MAC here: name it by whoever holds the IP, if anyone.
        const serverId = e.serverMac !== 0 ? this.resolve(e.serverMac, e.serverIp, e.firstSeenMs) : st.deviceHoldingIp(e.serverIp);
        st.upsertEdge({ ...e, clientDeviceId: clientId, serverDeviceId: serverId });
      }
    });
  }

  private detectRouter(mac: number): void {
    const id = this.macDevice(mac, 0);
    const v4 = new Set<string>();
    const v6 = new Set<string>();
    for (const a of this.store.trafficOnlyAddresses(id)) {
      if (a.version === 4) v4.add(a.ip);
      else if (!/^fe[89ab]/i.test(a.ip)) v6.add(prefix64(a.ip));
    }
    if (v4.size > ROUTER_ADDRESS_THRESHOLD || v6.size > ROUTER_ADDRESS_THRESHOLD) {
      this.routers.add(mac);
      this.store.markRouter(id);
    }
  }
}

/** First four groups of an IPv6 address in text form (its /64 prefix). */
function prefix64(ip: string): string {
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.slice(0, 4).join(':');
}
