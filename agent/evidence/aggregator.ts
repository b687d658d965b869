/**
 * Evidence between two flushes: observations deduplicated, one row per (fields, source, device) with a
 * count and first/last times; and the dissectors' typed outputs (address bindings, conversation marks,
 * instance sightings, derived devices) as rows the inventory takes. Nothing here knows a protocol: it
 * counts, dedupes and hands over. What `drain()` returns is plain data, so it can cross from the
 * dissection thread to the main one.
 */
import { isGroupMac, parseMac } from '../decode/format.js';
import {
  isInventoryOutput, type BindingProtocol, type ConversationProtocol, type DeviceDerivation, type InventoryOutput,
  type Observation, type PacketOutput, type Source,
} from '../dissectors/types.js';

/** One distinct observation since the last drain. `mac` is 0 when the observation names none. */
export interface ObservationRow {
  mac: number;
  ip: string | null;
  source: Source;
  fieldsJson: string;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
}

/** An address binding (dissectors/types.ts AddressBinding) at one sighting, its MAC as a number. */
export interface BindingRow {
  mac: number;
  ip: string;
  protocol: BindingProtocol;
  leaseSeconds?: number;
  tsMs: number;
}

/**
 * A conversation mark in one orientation: `a` talked to `b` on `b`'s port `port`. Both orientations
 * of each mark are handed over: the inventory's edge has the one it decided (which side is the server).
 */
export interface ConversationRow {
  protocol: ConversationProtocol;
  a: string;
  b: string;
  port: number;
}

/**
 * An instance sighting (dissectors/types.ts InstanceSighting): the ends as the inventory resolves
 * observations' devices (MAC number, 0 when none; IP).
 */
export interface SightingRow {
  instanceDigest: string;
  senderMac: number;
  senderIp: string | null;
  receiverMac: number;
  receiverIp: string | null;
  tsMs: number;
}

/** A device derivation (dissectors/types.ts DeviceDerivation), MACs as numbers (0: none). */
export interface DerivationRow {
  mac: number;
  fromMac: number;
  fromIp: string | null;
  protocol: Source;
  field: string;
  messageType: string | null;
  /** Earliest message naming it since the last drain. */
  tsMs: number;
}

/** Dissector counters (cumulative since start). */
export interface DissectionStats {
  produced: Record<string, number>;
  rejected: Record<string, number>;
  /** Values a clinical dissector's allow-list dropped (agent/dissectors/allow-list.ts), by dissector. */
  dropped: Record<string, number>;
  /** TCP directions collected for stream dissectors, given up at the bounds, declined by all, over the bound. */
  streams: { directions: number; undecided: number; declined: number; overflow: number };
}

/** Everything the evidence stage aggregated since the last drain: what the inventory takes at a flush. */
export interface EvidenceBatch {
  observations: ObservationRow[];
  bindings: BindingRow[];
  conversations: ConversationRow[];
  sightings: SightingRow[];
  derivations: DerivationRow[];
  stats: DissectionStats;
}

/** Distinct conversation marks kept between two drains (a flood of handshakes cannot grow memory). */
const MAX_CONVERSATIONS = 100_000;
/** Instance sightings kept between two drains (one per object stored: a busy archive sends many). */
const MAX_SIGHTINGS = 100_000;
/** Distinct derived devices kept between two drains, likewise. */
const MAX_DERIVATIONS = 100_000;

/**
 * JSON of an observation's fields. Dissectors build fields in a fixed order, so equal facts give equal
 * text without sorting; repeated packets share one fields object, so the text is made once.
 */
const fieldsJsonCache = new WeakMap<object, string>();
function fieldsJson(fields: object): string {
  let json = fieldsJsonCache.get(fields);
  if (json === undefined) {
    json = JSON.stringify(fields);
    fieldsJsonCache.set(fields, json);
  }
  return json;
}

/** MAC text → number, for the few distinct senders of observations. */
const macNumbers = new Map<string, number>();
function macNumber(text: string): number {
  let n = macNumbers.get(text);
  if (n === undefined) {
    n = parseMac(text);
    if (macNumbers.size >= 65536) macNumbers.clear();
    macNumbers.set(text, n);
  }
  return n;
}

/** Count one more sighting of a row at `tsMs`. */
function seen(row: ObservationRow, tsMs: number): void {
  row.count++;
  if (tsMs < row.firstSeenMs) row.firstSeenMs = tsMs;
  if (tsMs > row.lastSeenMs) row.lastSeenMs = tsMs;
}

interface ListRows {
  generation: number;
  rows: (ObservationRow | null)[];
  /** The list's typed outputs (recorded again at every sighting), null when it has none. */
  outputs: InventoryOutput[] | null;
}

interface LastRow {
  mac?: string;
  ip?: string;
  row: ObservationRow;
  generation: number;
}

export class ObservationAggregator {
  /** fields JSON → source|MAC|IP → row. */
  private rows = new Map<string, Map<string, ObservationRow>>();
  private bindings: BindingRow[] = [];
  private sightings: SightingRow[] = [];
  /** Conversation marks since the last drain, `protocol|a|b|port` (deduplicated: a client reconnects often). */
  private conversations = new Set<string>();
  /** Derived devices since the last drain, by derived MAC and origin (the gateway repeats itself). */
  private derivations = new Map<string, DerivationRow>();
  /** The row each fields object last went to, valid until the next drain (generation). */
  private readonly lastRow = new WeakMap<object, LastRow>();
  private generation = 0;
  /** Distinct observations waiting for the next drain (the pipeline flushes early when many wait). */
  pending = 0;

  /** The rows a list of outputs went to (see observeList), valid until the next drain. */
  private readonly listRows = new WeakMap<readonly PacketOutput[], ListRows>();

  observe(obs: Observation): void {
    this.count(obs, obs.tsMs);
  }

  /**
   * A packet dissector's outputs for one packet at time `tsMs` (which wins over theirs). A packet
   * dissector returns the same list again for a repeated packet (DissectorSet.repeat): its rows are then
   * just counted, its typed outputs recorded again. `slot`: where to keep the rows of this list (its
   * repeat-cache entry), else they are kept in a WeakMap.
   */
  observeList(list: readonly PacketOutput[], tsMs: number, slot: { memo: unknown } | null = null): void {
    const known = slot !== null ? (slot.memo as ListRows | null) ?? undefined : this.listRows.get(list);
    if (known !== undefined && known.generation === this.generation) {
      for (const row of known.rows) if (row !== null) seen(row, tsMs);
      if (known.outputs !== null) for (const o of known.outputs) this.output(o, tsMs);
      return;
    }
    const rows: (ObservationRow | null)[] = [];
    let outputs: InventoryOutput[] | null = null;
    for (const o of list) {
      if (isInventoryOutput(o)) {
        (outputs ??= []).push(o);
        this.output(o, tsMs);
      } else {
        rows.push(this.count(o, tsMs));
      }
    }
    const entry: ListRows = { generation: this.generation, rows, outputs };
    if (slot !== null) slot.memo = entry;
    else this.listRows.set(list, entry);
  }

  /**
   * A typed output seen at `tsMs`: an address binding to hand over, a conversation to mark, an instance
   * sighting, a derived device.
   */
  output(o: InventoryOutput, tsMs: number = o.tsMs): void {
    if (o.kind === 'derived-device') {
      this.derivation(o, tsMs);
    } else if (o.kind === 'instance-sighting') {
      if (this.sightings.length >= MAX_SIGHTINGS) return;
      const end = (k: { mac?: string }) => {
        const n = k.mac !== undefined ? macNumber(k.mac) : 0;
        return Number.isNaN(n) || isGroupMac(n) ? 0 : n;
      };
      this.sightings.push({
        instanceDigest: o.instanceDigest, senderMac: end(o.sender), senderIp: o.sender.ip ?? null,
        receiverMac: end(o.receiver), receiverIp: o.receiver.ip ?? null, tsMs,
      });
    } else if (o.kind === 'address-binding') {
      const mac = macNumber(o.mac);
      if (Number.isNaN(mac) || mac === 0) return;
      const row: BindingRow = { mac, ip: o.ip, protocol: o.protocol, tsMs };
      if (o.leaseSeconds !== undefined) row.leaseSeconds = o.leaseSeconds;
      this.bindings.push(row);
    } else if (this.conversations.size < MAX_CONVERSATIONS) {
      this.conversations.add(`${o.protocol}|${o.srcIp}|${o.dstIp}|${o.dstPort}`);
      this.conversations.add(`${o.protocol}|${o.dstIp}|${o.srcIp}|${o.srcPort}`);
    }
  }

  private derivation(o: DeviceDerivation, tsMs: number): void {
    const mac = macNumber(o.mac);
    if (Number.isNaN(mac) || mac === 0 || isGroupMac(mac)) return;
    const fromNum = o.from.mac !== undefined ? macNumber(o.from.mac) : 0;
    const fromMac = Number.isNaN(fromNum) || isGroupMac(fromNum) ? 0 : fromNum;
    const fromIp = o.from.ip ?? null;
    const key = `${mac}|${fromMac}|${fromIp ?? ''}|${o.protocol}|${o.field}|${o.messageType ?? ''}`;
    const known = this.derivations.get(key);
    if (known !== undefined) {
      if (tsMs < known.tsMs) known.tsMs = tsMs;
    } else if (this.derivations.size < MAX_DERIVATIONS) {
      this.derivations.set(key, { mac, fromMac, fromIp, protocol: o.protocol, field: o.field, messageType: o.messageType ?? null, tsMs });
    }
  }

  /** Count one observation; returns its row (null when it names no device). */
  private count(obs: Observation, tsMs: number): ObservationRow | null {
    const last = this.lastRow.get(obs.fields);
    if (last !== undefined && last.generation === this.generation && last.mac === obs.device.mac && last.ip === obs.device.ip) {
      // A repeated fact (same fields and device objects): just count it.
      seen(last.row, tsMs);
      return last.row;
    }
    return this.add(obs, tsMs);
  }

  private add(obs: Observation, tsMs: number): ObservationRow | null {
    const macNum = obs.device.mac !== undefined ? macNumber(obs.device.mac) : 0;
    const mac = Number.isNaN(macNum) || isGroupMac(macNum) ? 0 : macNum;
    const ip = obs.device.ip ?? null;
    if (mac === 0 && ip === null) return null;
    const json = fieldsJson(obs.fields);
    // Keyed by the JSON string itself first: V8 hashes a string once, so long facts cost little.
    let byDevice = this.rows.get(json);
    if (byDevice === undefined) {
      byDevice = new Map();
      this.rows.set(json, byDevice);
    }
    const key = `${obs.source}|${mac}|${ip ?? ''}`;
    let row = byDevice.get(key);
    if (row) {
      seen(row, tsMs);
    } else {
      row = { mac, ip, source: obs.source, fieldsJson: json, firstSeenMs: tsMs, lastSeenMs: tsMs, count: 1 };
      byDevice.set(key, row);
      this.pending++;
    }
    this.lastRow.set(obs.fields, { mac: obs.device.mac, ip: obs.device.ip, row, generation: this.generation });
    return row;
  }

  /** Everything since the last drain (without the dissector counters); starts a new generation. */
  drain(): Omit<EvidenceBatch, 'stats'> {
    const observations: ObservationRow[] = [];
    for (const byDevice of this.rows.values()) for (const r of byDevice.values()) observations.push(r);
    const conversations: ConversationRow[] = [];
    for (const k of this.conversations) {
      const [protocol, a, b, port] = k.split('|');
      conversations.push({ protocol: protocol as ConversationProtocol, a, b, port: Number(port) });
    }
    const bindings = this.bindings;
    const sightings = this.sightings;
    const derivations = [...this.derivations.values()];
    this.derivations = new Map();
    this.rows = new Map();
    this.bindings = [];
    this.sightings = [];
    this.conversations = new Set();
    this.pending = 0;
    this.generation++;
    return { observations, bindings, conversations, sightings, derivations };
  }
}
