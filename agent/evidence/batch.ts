/**
 * Frame batches from the pipeline thread to the dissection thread. Records are written into a plain
 * ArrayBuffer that is transferred (not copied) with postMessage once full; the worker reads batches
 * synchronously with receiveMessageOnPort and sends the emptied buffers back for reuse. Shared control
 * words carry the counts both sides sleep on with Atomics.wait.
 *
 * Record: a 32-byte header (Int32 words: total length, kind | dir << 8 | linkType << 16, slot, flow
 * generation, wire length, captured length; then the capture time as a float64 at byte 24) and the
 * frame bytes, padded to 8 bytes.
 */

/** Control words (Int32 indexes in the control array). */
export const Ctl = {
  /** Batches posted by the pipeline thread. */
  POSTED: 0,
  /** Batches the worker has finished. */
  CONSUMED: 1,
  /** 1 while the worker sleeps waiting for batches. */
  CONSUMER_WAITING: 2,
  /** Last FLUSH sequence number the worker answered. */
  FLUSHED: 3,
  /** Non-zero once the worker failed (its error is posted on the answer port). */
  FAILED: 4,
  /** Distinct observations the worker holds (a hint for early flushes). */
  PENDING: 5,
  /** 1 while the pipeline thread sleeps waiting for the worker. */
  PRODUCER_WAITING: 6,
} as const;
export const CONTROL_WORDS = 8;

export const Kind = {
  UDP: 1,
  LAYER2: 2,
  TCP: 3,
  /** Flow slot ended. */
  FLOW_END: 4,
  /** Drain and answer with sequence number `slot`. */
  FLUSH: 5,
  STOP: 6,
} as const;

export const HEADER_BYTES = 32;

/** A batch on the wire: the buffer and how many of its bytes hold records. */
export interface Batch {
  buf: ArrayBuffer;
  len: number;
}

export function recordBytes(caplen: number): number {
  return (HEADER_BYTES + caplen + 7) & ~7;
}
