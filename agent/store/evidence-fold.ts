/**
 * A device's stored observations folded into what both read models show: its host names (every
 * observation's convention field `hostname`) and `evidence.<source>.<field>` (the distinct values,
 * newest first, bounded). The device object (device-query.ts) and the identification facts
 * (facts-query.ts) fold the same rows the same way.
 */
import type { ConventionFields } from '../dissectors/types.js';
import type { Device } from './device-json.js';

/** An `observations` row as read. */
export interface ObservationRow {
  source: string;
  /** JSON of the fields, as the dissector wrote them. */
  fields: string;
  first_seen: number;
  last_seen: number;
  count: number;
}

/** An observation with its fields parsed and its times as ISO text (the clinical block reads these). */
export interface ParsedObservation {
  source: string;
  fields: Record<string, unknown>;
  first_seen: string;
  last_seen: string;
}

/** Distinct values kept per evidence field. */
const EVIDENCE_VALUES = 20;

/** Start (ms) and `YYYY-MM-DDT` text of the day iso() formatted last. */
let isoDayStart = NaN;
let isoDayPrefix = '';
const DAY_MS = 86_400_000;
const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/**
 * `new Date(ms).toISOString()`, faster: the date part is kept for the day it formatted last (a device
 * list formats ~10 times per device, mostly within a day), the time part is arithmetic. Exports of
 * 100 k devices spent a sixth of their time here.
 */
export function iso(ms: number): string {
  // Fractions (within the day formatted last too), negatives and years past 9999 (+YYYYYY) keep the exact built-in form.
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  if (!(ms >= isoDayStart && ms < isoDayStart + DAY_MS)) {
    if (ms < 0 || ms >= 253_402_300_800_000) return new Date(ms).toISOString();
    isoDayStart = ms - (ms % DAY_MS);
    isoDayPrefix = new Date(isoDayStart).toISOString().slice(0, 11);
  }
  const t = ms - isoDayStart;
  const milli = t % 1000;
  const s = Math.floor(t / 1000);
  return `${isoDayPrefix}${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** What tells values apart: 's' + a string, or the JSON of anything else (never starts with s). */
const valueKey = (value: unknown): string => (typeof value === 'string' ? `s${value}` : JSON.stringify(value));

/** A time as stored (ms) or already as ISO text (rows whose times SQLite formatted: device-json-text.ts). */
const isoOf = (t: number | string): string => (typeof t === 'string' ? t : iso(t));

/**
 * Observations folded one at a time, newest first: host names and per-protocol facts, and the parsed
 * rows `keep` asks for (the clinical block reads them). foldObservations folds stored rows; the device
 * text folds rows SQLite already parsed into one array and whose times it formatted.
 */
export class EvidenceFold {
  /** Host names by `name|source`, made at the first one (most observations name no host). */
  private names: Map<string, Device['hostnames'][number]> | null = null;
  readonly evidence: Device['evidence'] = {};
  /**
   * Values kept per source and field (evidence[source][field]), as valueKey() texts, made only when a
   * field gets a second value: most devices have one observation per source, and a set per field for
   * them cost a fifth of a device's text.
   */
  private seen: Map<string, Map<string, Set<string>>> | null = null;
  readonly parsed: ParsedObservation[] = [];

  constructor(private readonly keep: (source: string) => boolean) {}

  add(source: string, fields: Record<string, unknown>, firstSeen: number | string, lastSeen: number | string): void {
    if (this.keep(source)) this.parsed.push({ source, fields, first_seen: isoOf(firstSeen), last_seen: isoOf(lastSeen) });
    let facts = this.evidence[source];
    if (facts === undefined) {
      // The first observation of a source: each field's value is its first.
      facts = this.evidence[source] = {};
      for (const k in fields) facts[k] = [fields[k]];
    } else {
      for (const k in fields) {
        const values = facts[k];
        if (values === undefined) {
          facts[k] = [fields[k]];
          continue;
        }
        if (values.length >= EVIDENCE_VALUES) continue;
        const set = this.seenOf(source, k, values);
        const key = valueKey(fields[k]);
        if (set.has(key)) continue;
        set.add(key);
        values.push(fields[k]);
      }
    }
    const { hostname } = fields as ConventionFields;
    if (typeof hostname === 'string' && hostname !== '') {
      const hk = `${hostname}|${source}`;
      this.names ??= new Map();
      const h = this.names.get(hk);
      if (!h) this.names.set(hk, { name: hostname, source, first_seen: isoOf(firstSeen), last_seen: isoOf(lastSeen) });
      else if (isoOf(firstSeen) < h.first_seen) h.first_seen = isoOf(firstSeen);
    }
  }

  /** The keys of the values kept for a source's field (`values`), made on first need. */
  private seenOf(source: string, field: string, values: readonly unknown[]): Set<string> {
    this.seen ??= new Map();
    let bySource = this.seen.get(source);
    if (bySource === undefined) this.seen.set(source, (bySource = new Map()));
    let set = bySource.get(field);
    if (set === undefined) bySource.set(field, (set = new Set(values.map(valueKey))));
    return set;
  }

  /** The host names, oldest first. */
  hostnames(): Device['hostnames'] {
    if (this.names === null) return [];
    if (this.names.size === 1) return [...this.names.values()];
    return [...this.names.values()].sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.name < b.name ? -1 : 1));
  }
}

const keepAll = (): boolean => true;
const keepNone = (): boolean => false;

/** Host names and per-protocol facts folded from observation rows (newest first); the parsed rows when asked. */
export function foldObservations(
  rows: readonly ObservationRow[],
  keepParsed: boolean,
): Pick<Device, 'hostnames' | 'evidence'> & { parsed: ParsedObservation[] } {
  const fold = new EvidenceFold(keepParsed ? keepAll : keepNone);
  for (const o of rows) fold.add(o.source, JSON.parse(o.fields) as Record<string, unknown>, o.first_seen, o.last_seen);
  return { hostnames: fold.hostnames(), evidence: fold.evidence, parsed: fold.parsed };
}
