/**
 * Bidirectional 5-tuple flow table on typed arrays: open addressing with linear probing, an LRU list
 * for idle and size eviction, and per-direction counters. Updating a flow allocates nothing, which
 * keeps the per-packet cost of bulk traffic to a hash, one key compare and a few array writes.
 *
 * Side A of a flow is the endpoint with the lower (address, port); `dir` 0 means A→B.
 *
 * The table owns the flows' keys, counters, times and flags, nothing else. Stages that keep state per
 * flow (the inventory's reported counters, the evidence stage's stream marks) keep their own columns
 * indexed by the flow slot, and clear them when the listener is told that the flow ended: the slot
 * then takes another flow.
 */
import { ipWordsAt, isGroupMac, macAt } from '../decode/format.js';
import { IpProto, type PacketView } from '../decode/packet-view.js';
import { hashWords } from './keyed-counters.js';

/** Words per key: [proto|vlans, ports, addrA x4, addrB x4]. */
export const KEY_WORDS = 10;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

export interface FlowTableOptions {
  /** Most flows held at once; the least recently used is evicted beyond it. */
  maxFlows: number;
  /** A flow with no packet for this long (capture time) ends. */
  idleTimeoutMs: number;
}

/** Receives flow counters: `ended` is true when the flow leaves the table (its slot is free afterwards). */
export interface FlowListener {
  flowUpdated(table: FlowTable, flow: number, ended: boolean): void;
}

export class FlowTable {
  readonly maxFlows: number;
  private readonly idleTimeoutMicros: number;
  private readonly mask: number;
  private readonly slots: Int32Array;
  /** Flow keys, KEY_WORDS per flow. */
  readonly keys: Int32Array;
  private readonly hashes: Int32Array;
  /** First and last packet time, microseconds. */
  readonly firstTs: Float64Array;
  readonly lastTs: Float64Array;
  /** Packets and wire bytes sent by side A (index 2f) and side B (2f+1). */
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  /** First and last packet time of each side, same layout. */
  readonly sideFirstTs: Float64Array;
  readonly sideLastTs: Float64Array;
  /** OR of TCP flags sent by each side, same layout. */
  readonly tcpFlags: Uint8Array;
  /** Source MAC each side used (48-bit number, 0 when the link layer had none), same layout. */
  readonly macs: Float64Array;
  /** Side that sent the first packet seen (0 A, 1 B). */
  readonly initiator: Int8Array;
  /** Side that sent a SYN+ACK (-1 none): the TCP server, proven. */
  readonly synAckFrom: Int8Array;
  /** Side that sent a bare SYN (-1 none): the TCP client. */
  readonly synFrom: Int8Array;
  /** First packet went to a group MAC (broadcast/multicast): not a device-to-device conversation. */
  readonly toGroup: Uint8Array;
  /** Per flow slot: incremented each time the slot takes a new flow (tells a reused slot's flows apart). */
  readonly generation: Int32Array;
  /** Updated since the last checkpoint. */
  private readonly dirty: Uint8Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  private freeTop: number;
  private readonly freeList: Int32Array;
  private readonly scratch = new Int32Array(KEY_WORDS);
  private lastExpiryCheck = 0;
  /** Flow of the previous packet (-1 none). */
  private lastFlow = -1;

  /** Flows currently held. */
  size = 0;
  /** Flows created since start. */
  created = 0;
  /** Flows evicted because the table was full. */
  evictedForSpace = 0;
  /** Direction of the packet last passed to `update` (0 A→B, 1 B→A). */
  dir = 0;

  constructor(opts: FlowTableOptions, private readonly listener: FlowListener) {
    const max = Math.max(16, opts.maxFlows | 0);
    this.maxFlows = max;
    this.idleTimeoutMicros = opts.idleTimeoutMs * 1000;
    let cap = 1;
    while (cap < max * 2) cap <<= 1;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap).fill(-1);
    this.keys = new Int32Array(max * KEY_WORDS);
    this.hashes = new Int32Array(max);
    this.firstTs = new Float64Array(max);
    this.lastTs = new Float64Array(max);
    this.packets = new Float64Array(max * 2);
    this.bytes = new Float64Array(max * 2);
    this.sideFirstTs = new Float64Array(max * 2);
    this.sideLastTs = new Float64Array(max * 2);
    this.tcpFlags = new Uint8Array(max * 2);
    this.macs = new Float64Array(max * 2);
    this.initiator = new Int8Array(max);
    this.synAckFrom = new Int8Array(max);
    this.synFrom = new Int8Array(max);
    this.toGroup = new Uint8Array(max);
    this.generation = new Int32Array(max);
    this.dirty = new Uint8Array(max);
    this.prev = new Int32Array(max);
    this.next = new Int32Array(max);
    this.freeList = new Int32Array(max);
    for (let i = 0; i < max; i++) this.freeList[i] = max - 1 - i;
    this.freeTop = max;
  }

  /** Transport protocol of a flow. */
  proto(f: number): number {
    return (this.keys[f * KEY_WORDS] >>> 24) & 0xff;
  }
  /** Outer VLAN id of a flow (0 untagged). */
  vlan(f: number): number {
    return (this.keys[f * KEY_WORDS] >>> 12) & 0xfff;
  }
  /** Port of side 0 (A) or 1 (B). */
  port(f: number, side: number): number {
    const w = this.keys[f * KEY_WORDS + 1];
    return side === 0 ? (w >>> 16) & 0xffff : w & 0xffff;
  }
  /** Index into `keys` of the address words of a side. */
  addrAt(f: number, side: number): number {
    return f * KEY_WORDS + 2 + side * 4;
  }

  /** Account one decoded IP packet; returns the flow index and sets `dir`. */
  update(v: PacketView): number {
    const k = this.scratch;
    const b = v.buf;
    const proto = v.l4Proto;
    const ported = !v.isLaterFragment && (proto === IpProto.TCP || proto === IpProto.UDP);
    const sport = ported ? v.srcPort : 0;
    const dport = ported ? v.dstPort : 0;
    k[0] = (proto << 24) | (v.vlanOuter << 12) | v.vlanInner;
    ipWordsAt(b, v.srcIpOff, v.ipVersion, k, 2);
    ipWordsAt(b, v.dstIpOff, v.ipVersion, k, 6);
    let dir = 0;
    let cmp = 0;
    for (let i = 2; i < 6 && cmp === 0; i++) {
      const x = k[i] >>> 0;
      const y = k[i + 4] >>> 0;
      cmp = x < y ? -1 : x > y ? 1 : 0;
    }
    if (cmp > 0 || (cmp === 0 && sport > dport)) {
      dir = 1;
      for (let i = 2; i < 6; i++) {
        const t = k[i];
        k[i] = k[i + 4];
        k[i + 4] = t;
      }
      k[1] = (dport << 16) | sport;
    } else {
      k[1] = (sport << 16) | dport;
    }
    this.dir = dir;

    const ts = v.tsMicros;
    const mac = v.srcMacOff >= 0 ? macAt(b, v.srcMacOff) : 0;
    // Bulk transfers bring runs of packets of one flow: compare with the last flow's key first.
    let f = this.lastFlow;
    if (f >= 0) {
      const base = f * KEY_WORDS;
      for (let j = 0; j < KEY_WORDS; j++) {
        if (this.keys[base + j] !== k[j]) {
          f = -1;
          break;
        }
      }
    }
    let h = 0;
    if (f < 0) {
      h = hashWords(k, KEY_WORDS);
      f = this.find(h);
    }
    if (f >= 0) {
      const known = this.macs[2 * f + dir];
      if (known !== 0 && mac !== 0 && known !== mac) {
        // The address moved to another NIC (a DHCP reassignment): a new conversation, so that the
        // traffic is attributed to the device that sent it.
        this.end(f);
        f = -1;
      } else if (proto === IpProto.TCP && (v.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
        // A new SYN on a flow that already closed is a new connection reusing the ports.
        const fl = this.tcpFlags[2 * f] | this.tcpFlags[2 * f + 1];
        if ((fl & (TCP_FIN | TCP_RST)) !== 0) {
          this.end(f);
          f = -1;
        }
      }
    }
    if (f < 0) f = this.insert(h !== 0 ? h : hashWords(k, KEY_WORDS), ts, v, dir);
    else this.touch(f);
    this.lastFlow = f;

    const i = 2 * f + dir;
    if (this.packets[i] === 0) {
      this.sideFirstTs[i] = ts;
      this.macs[i] = mac;
    }
    this.sideLastTs[i] = ts;
    this.packets[i] += 1;
    this.bytes[i] += v.wireLen;
    this.lastTs[f] = ts;
    this.dirty[f] = 1;
    if (proto === IpProto.TCP) {
      const flags = v.tcpFlags;
      this.tcpFlags[i] |= flags;
      if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) this.synAckFrom[f] = dir;
      else if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) this.synFrom[f] = dir;
    }

    if (ts - this.lastExpiryCheck > 1_000_000) {
      this.lastExpiryCheck = ts;
      this.expire(ts);
    }
    return f;
  }

  private find(h: number): number {
    const k = this.scratch;
    let s = h & this.mask;
    for (;;) {
      const f = this.slots[s];
      if (f < 0) return -1;
      if (this.hashes[f] === h) {
        const base = f * KEY_WORDS;
        let same = true;
        for (let j = 0; j < KEY_WORDS; j++) {
          if (this.keys[base + j] !== k[j]) {
            same = false;
            break;
          }
        }
        if (same) return f;
      }
      s = (s + 1) & this.mask;
    }
  }

  private insert(h: number, ts: number, v: PacketView, dir: number): number {
    if (this.freeTop === 0) {
      this.evictedForSpace++;
      this.end(this.head);
    }
    const f = this.freeList[--this.freeTop];
    const base = f * KEY_WORDS;
    for (let j = 0; j < KEY_WORDS; j++) this.keys[base + j] = this.scratch[j];
    this.hashes[f] = h;
    let s = h & this.mask;
    while (this.slots[s] >= 0) s = (s + 1) & this.mask;
    this.slots[s] = f;
    this.firstTs[f] = ts;
    this.lastTs[f] = ts;
    this.packets[2 * f] = this.packets[2 * f + 1] = 0;
    this.bytes[2 * f] = this.bytes[2 * f + 1] = 0;
    this.tcpFlags[2 * f] = this.tcpFlags[2 * f + 1] = 0;
    this.macs[2 * f] = this.macs[2 * f + 1] = 0;
    this.generation[f]++;
    this.initiator[f] = dir;
    this.synAckFrom[f] = -1;
    this.synFrom[f] = -1;
    this.toGroup[f] = v.dstMacOff >= 0 && isGroupMac(macAt(v.buf, v.dstMacOff)) ? 1 : 0;
    // Append at the LRU tail.
    this.prev[f] = this.tail;
    this.next[f] = -1;
    if (this.tail >= 0) this.next[this.tail] = f;
    else this.head = f;
    this.tail = f;
    this.size++;
    this.created++;
    return f;
  }

  private touch(f: number): void {
    if (f === this.tail) return;
    const p = this.prev[f];
    const n = this.next[f];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    this.prev[n] = p; // n >= 0 because f is not the tail
    this.prev[f] = this.tail;
    this.next[f] = -1;
    this.next[this.tail] = f;
    this.tail = f;
  }

  /** End a flow: report it, unlink it and free its slot (backward-shift deletion keeps probing exact). */
  private end(f: number): void {
    if (f === this.lastFlow) this.lastFlow = -1;
    this.listener.flowUpdated(this, f, true);
    this.dirty[f] = 0;
    const p = this.prev[f];
    const n = this.next[f];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;

    let s = this.hashes[f] & this.mask;
    while (this.slots[s] !== f) s = (s + 1) & this.mask;
    let hole = s;
    let j = s;
    for (;;) {
      j = (j + 1) & this.mask;
      const g = this.slots[j];
      if (g < 0) break;
      const home = this.hashes[g] & this.mask;
      // Move g into the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (inRange) continue;
      this.slots[hole] = g;
      hole = j;
    }
    this.slots[hole] = -1;
    this.freeList[this.freeTop++] = f;
    this.size--;
  }

  /** End every flow idle since before `nowMicros - idleTimeout`. */
  expire(nowMicros: number): void {
    const limit = nowMicros - this.idleTimeoutMicros;
    while (this.head >= 0 && this.lastTs[this.head] < limit) this.end(this.head);
  }

  /** Report every flow updated since the last checkpoint (they form the LRU tail). */
  checkpoint(): void {
    for (let f = this.tail; f >= 0 && this.dirty[f] === 1; f = this.prev[f]) {
      this.dirty[f] = 0;
      this.listener.flowUpdated(this, f, false);
    }
  }

  /** End every flow (end of input). */
  drain(): void {
    while (this.head >= 0) this.end(this.head);
  }
}
