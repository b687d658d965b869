/**
 * Test support: an EventLog in memory, with retention, for the forwarder and export tests until the
 * events table (issue 15) lands; the tests then run the same assertions on the real table.
 */
import type { AuscultEvent } from '../export/event.js';
import type { EventLog } from '../export/event-source.js';

export class MemoryEventLog implements EventLog {
  private events: AuscultEvent[] = [];
  private seq = 0;

  append(events: ReadonlyArray<Omit<AuscultEvent, 'seq'>>): number {
    for (const e of events) this.events.push({ ...e, seq: ++this.seq } as AuscultEvent);
    return this.seq;
  }

  after(afterSeq: number, limit: number): AuscultEvent[] {
    const out: AuscultEvent[] = [];
    for (const e of this.events) {
      if (e.seq <= afterSeq) continue;
      out.push(e);
      if (out.length === limit) break;
    }
    return out;
  }

  lastSeq(): number {
    return this.seq;
  }

  countBetween(afterSeq: number, throughSeq: number): number {
    return this.events.filter((e) => e.seq > afterSeq && e.seq <= throughSeq).length;
  }

  seqBefore(throughSeq: number, count: number): number {
    const upTo = this.events.filter((e) => e.seq <= throughSeq);
    return upTo.length <= count ? 0 : upTo[upTo.length - count - 1].seq;
  }

  /** Retention: drops events with seq <= throughSeq. */
  dropThrough(throughSeq: number): void {
    this.events = this.events.filter((e) => e.seq > throughSeq);
  }
}

/** A `device.new` event for device `n` (ids unique per n). */
export function sampleEvent(n: number, time = new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString()): Omit<AuscultEvent<'device.new'>, 'seq'> {
  const mac = `02:00:00:${((n >> 16) & 0xff).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  return {
    id: `evt-test-${n}`, time, type: 'device.new', severity: 'low', device_id: n,
    summary: `New device ${mac}`, details: { mac, ip: `10.0.${(n >> 8) & 0xff}.${n & 0xff}`, mac_vendor: null },
  };
}
