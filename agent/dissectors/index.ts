/**
 * The dissector registry: every protocol module is listed here once. Packet dissectors are found by
 * table lookup (UDP port, EtherType, LLC), so the hot path pays one array read per port; stream
 * dissectors see the first bytes of every TCP direction, on any port.
 */
import type { PacketView } from '../decode/packet-view.js';
import { cdp } from './cdp.js';
import { dhcp } from './dhcp.js';
import { dhcpv6 } from './dhcpv6.js';
import { dns, llmnr } from './dns.js';
import { mdns } from './mdns.js';
import { browser, nbns } from './netbios.js';
import { ssdp } from './ssdp.js';
import { http } from './http.js';
import { lldp } from './lldp.js';
import { smb } from './smb.js';
import { snmp } from './snmp.js';
import { ssh } from './ssh.js';
import { tls } from './tls.js';
import type { Observation, PacketDissector, StreamDissector } from './types.js';

export const PACKET_DISSECTORS: readonly PacketDissector[] = [
  dhcp, dhcpv6, dns, llmnr, mdns, nbns, browser, ssdp, snmp, lldp, cdp,
];
/** Offered in this order; each probe looks at a byte or two. */
export const STREAM_DISSECTORS: readonly StreamDissector[] = [tls, http, ssh, smb];

export class DissectorSet {
  /** Per UDP port: 1 + index into `packet` of the dissector registered on it (0 none). */
  private readonly udp = new Uint8Array(65536);
  private readonly byEtherType = new Map<number, PacketDissector>();
  private readonly llc: PacketDissector[] = [];
  /** Packets a dissector rejected as not-its-protocol or malformed, by dissector name. */
  readonly rejected: Record<string, number> = {};
  /** Observations produced, by dissector name. */
  readonly produced: Record<string, number> = {};

  constructor(
    private readonly packet: readonly PacketDissector[] = PACKET_DISSECTORS,
    readonly stream: readonly StreamDissector[] = STREAM_DISSECTORS,
  ) {
    packet.forEach((d, i) => {
      for (const p of d.udpPorts ?? []) this.udp[p] = i + 1;
      for (const t of d.etherTypes ?? []) this.byEtherType.set(t, d);
      if (d.llc) this.llc.push(d);
    });
    for (const d of [...packet, ...stream]) {
      this.rejected[d.name] = 0;
      this.produced[d.name] = 0;
    }
  }

  /** Run the dissector registered on a UDP packet's ports, if any. */
  inspectUdp(v: PacketView): Observation[] | null {
    if (v.payloadLen === 0 || v.isLaterFragment) return null;
    const slot = this.udp[v.dstPort] || this.udp[v.srcPort];
    return slot === 0 ? null : this.run(this.packet[slot - 1], v);
  }

  /** Run the dissectors for a non-IP frame (by EtherType, or LLC for 802.3 frames). */
  inspectFrame(v: PacketView): Observation[] | null {
    if (v.etherType <= 1500) {
      for (const d of this.llc) {
        const out = this.run(d, v);
        if (out !== null) return out;
      }
      return null;
    }
    const d = this.byEtherType.get(v.etherType);
    return d === undefined ? null : this.run(d, v);
  }

  /** Count an observation produced by a stream dissector. */
  countStream(o: Observation): void {
    this.produced[o.source] = (this.produced[o.source] ?? 0) + 1;
  }

  private run(d: PacketDissector, v: PacketView): Observation[] | null {
    let out: Observation[] | null = null;
    try {
      out = d.parse(v);
    } catch {
      // A dissector bug must not stop the capture: count it like malformed input.
      out = null;
    }
    if (out === null) this.rejected[d.name]++;
    else this.produced[d.name] += out.length;
    return out;
  }
}
