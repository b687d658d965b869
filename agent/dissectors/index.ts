/**
 * The dissector registry: every protocol module is listed here once. A port table maps each UDP/TCP
 * port to the dissectors that want every packet on it, so the hot path pays one array read per port.
 */
import type { PacketView } from '../decode/packet-view.js';
import { IpProto } from '../decode/packet-view.js';
import { dhcp } from './dhcp.js';
import type { Observation, PacketDissector } from './types.js';

export const DISSECTORS: readonly PacketDissector[] = [dhcp];

export class DissectorSet {
  /** Per port: 1 + index into `list` of the dissector registered on it (0 none). */
  private readonly udp = new Uint8Array(65536);
  private readonly tcp = new Uint8Array(65536);
  /** Packets a dissector rejected as not-its-protocol or malformed, by dissector name. */
  readonly rejected: Record<string, number> = {};
  /** Observations produced, by dissector name. */
  readonly produced: Record<string, number> = {};

  constructor(private readonly list: readonly PacketDissector[] = DISSECTORS) {
    list.forEach((d, i) => {
      for (const p of d.udpPorts ?? []) this.udp[p] = i + 1;
      this.rejected[d.name] = 0;
      this.produced[d.name] = 0;
    });
  }

  /** Run the dissector registered on the packet's ports, if any. */
  inspect(v: PacketView): Observation[] | null {
    if (v.payloadLen === 0 || v.isLaterFragment) return null;
    let slot = 0;
    if (v.l4Proto === IpProto.UDP) slot = this.udp[v.dstPort] || this.udp[v.srcPort];
    else if (v.l4Proto === IpProto.TCP) slot = this.tcp[v.dstPort] || this.tcp[v.srcPort];
    if (slot === 0) return null;
    const d = this.list[slot - 1];
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
