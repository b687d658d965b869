/**
 * Where exports and forwarders read events from: a small interface, so they do not depend on how the
 * events table stores them. StoreReader.eventSource() reads the table; tests may use
 * agent/testing/memory-event-log.ts.
 */
import type { AuscultEvent } from './event.js';

/** Events in sequence order, read a page at a time. */
export interface EventSource {
  /** Events with `seq > afterSeq`, in seq order, at most `limit`. */
  after(afterSeq: number, limit: number): AuscultEvent[];
  /** The highest seq stored, 0 when none. */
  lastSeq(): number;
  /** Events stored with `afterSeq < seq <= throughSeq` (lag, and what retention would drop undelivered). */
  countBetween(afterSeq: number, throughSeq: number): number;
  /** The seq after which the last `count` events up to `throughSeq` begin (0 when there are fewer): a resend window. */
  seqBefore(throughSeq: number, count: number): number;
}

/** An EventSource that can be written: how producers add events (seq assigned by the log). */
export interface EventLog extends EventSource {
  /** Appends events in order, giving each the next seq; returns the last seq given. */
  append(events: ReadonlyArray<Omit<AuscultEvent, 'seq'>>): number;
}

/** Events of `source` after `afterSeq`, a page at a time (constant memory however many there are). */
export function* eventsAfter(source: EventSource, afterSeq = 0, pageSize = 1000): Generator<AuscultEvent> {
  let seq = afterSeq;
  for (;;) {
    const page = source.after(seq, pageSize);
    yield* page;
    if (page.length < pageSize) return;
    seq = page[page.length - 1].seq;
  }
}
