/**
 * Evidence between two flushes, deduplicated: one row per (fields, source, device) with a count and
 * first/last times. DHCP ACKs also yield address bindings (the assigned address belongs to the client
 * MAC). What `drain()` returns is plain data, so it can cross from the dissection thread to the main one.
 */
import { isGroupMac, parseMac } from '../decode/format.js';
import type { Observation } from '../dissectors/types.js';

/** One distinct observation since the last drain. `mac` is 0 when the observation names none. */
export interface ObservationRow {
  mac: number;
  ip: string | null;
  source: string;
  fieldsJson: string;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
}

/** A DHCP ACK: the server gave `ip` to `mac`. */
export interface DhcpBinding {
  mac: number;
  ip: string;
  tsMs: number;
  leaseSeconds?: number;
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

/** A TCP conversation that carried TLS: `a` talked to `b` on `b`'s port `port` (one orientation of it). */
export interface TlsConversation {
  a: string;
  b: string;
  port: number;
}

/** Everything the evidence stage aggregated since the last drain. */
export interface DrainedEvidence {
  rows: ObservationRow[];
  dhcp: DhcpBinding[];
  /** Conversations recognised as TLS, in both orientations (the inventory finds which side is the server). */
  tls: TlsConversation[];
  stats: DissectionStats;
}

/**
 * JSON of an observation's fields. Dissectors build fields in a fixed order, so equal facts give equal
 * text without sorting; repeated packets share one fields object, so the text is made once.
 */
const fieldsJsonCache = new WeakMap<Record<string, unknown>, string>();
function fieldsJson(fields: Record<string, unknown>): string {
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
  /** The list holds DHCP observations (their bindings are recorded at every sighting). */
  dhcp: boolean;
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
  private dhcp: DhcpBinding[] = [];
  /** The row each fields object last went to, valid until the next drain (generation). */
  private readonly lastRow = new WeakMap<Record<string, unknown>, LastRow>();
  private generation = 0;
  /** Distinct observations waiting for the next drain (the pipeline flushes early when many wait). */
  pending = 0;

  /** The rows a list of observations went to (see observeList), valid until the next drain. */
  private readonly listRows = new WeakMap<readonly Observation[], ListRows>();

  observe(obs: Observation): void {
    this.count(obs, obs.tsMs);
  }

  /**
   * Observations of one packet at time `tsMs` (which wins over theirs). A packet dissector returns the
   * same list again for a repeated packet (DissectorSet.repeat): its rows are then just counted. `slot`:
   * where to keep the rows of this list (its repeat-cache entry), else they are kept in a WeakMap.
   */
  observeList(list: readonly Observation[], tsMs: number, slot: { memo: unknown } | null = null): void {
    const known = slot !== null ? (slot.memo as ListRows | null) ?? undefined : this.listRows.get(list);
    if (known !== undefined && known.generation === this.generation) {
      for (const row of known.rows) if (row !== null) seen(row, tsMs);
      if (known.dhcp) for (const o of list) this.binding(o, tsMs);
      return;
    }
    const rows: (ObservationRow | null)[] = [];
    let dhcp = false;
    for (const o of list) {
      rows.push(this.count(o, tsMs));
      if (o.source === 'dhcp') dhcp = true;
    }
    const entry: ListRows = { generation: this.generation, rows, dhcp };
    if (slot !== null) slot.memo = entry;
    else this.listRows.set(list, entry);
  }

  /** Count one observation; returns its row (null when it names no device). */
  private count(obs: Observation, tsMs: number): ObservationRow | null {
    const last = this.lastRow.get(obs.fields);
    let row: ObservationRow | null;
    if (last !== undefined && last.generation === this.generation && last.mac === obs.device.mac && last.ip === obs.device.ip) {
      // A repeated fact (same fields and device objects): just count it.
      row = last.row;
      seen(row, tsMs);
    } else {
      row = this.add(obs, tsMs);
    }
    if (obs.source === 'dhcp') this.binding(obs, tsMs);
    return row;
  }

  /** A DHCP ACK binds the assigned address to the client MAC. */
  private binding(obs: Observation, tsMs: number): void {
    if (obs.source !== 'dhcp' || obs.fields.message_type !== 'ACK') return;
    const mac = parseMac(String(obs.fields.client_mac));
    const ip = (obs.fields.assigned_ip ?? obs.fields.client_ip) as string | undefined;
    if (!Number.isNaN(mac) && mac !== 0 && ip) {
      this.dhcp.push({ mac, ip, tsMs, leaseSeconds: obs.fields.lease_seconds as number | undefined });
    }
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

  /** Everything since the last drain; starts a new generation. */
  drain(): { rows: ObservationRow[]; dhcp: DhcpBinding[] } {
    const rows: ObservationRow[] = [];
    for (const byDevice of this.rows.values()) for (const r of byDevice.values()) rows.push(r);
    const dhcp = this.dhcp;
    this.rows = new Map();
    this.dhcp = [];
    this.pending = 0;
    this.generation++;
    return { rows, dhcp };
  }
}
