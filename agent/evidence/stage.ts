/**
 * The evidence stage: stream reassembly, the packet and stream dissectors, and the aggregation of what
 * they emit (observations and typed outputs) into one EvidenceBatch per flush. The pipeline feeds it the
 * frames some dissector may want; it runs either on the pipeline's own thread (InlineDissection) or on
 * a worker thread (RemoteDissection in remote.ts) with the same interface. It knows no protocol: the
 * dissectors say what they found, in the types of dissectors/types.ts.
 */
import type { PacketView } from '../decode/packet-view.js';
import { droppedCounts } from '../dissectors/allow-list.js';
import { DissectorSet } from '../dissectors/index.js';
import { StreamCollector } from './streams.js';
import type { InventoryOutput, Observation } from '../dissectors/types.js';
import { ObservationAggregator, type EvidenceBatch } from './aggregator.js';

export interface Dissection {
  /**
   * Per TCP direction of each flow slot (2 * flow + dir): 1 once no stream dissector needs more of its
   * bytes. Owned by the stage (cleared by flowEnded); the pipeline reads it to skip decided streams.
   */
  readonly streamDone: Uint8Array;
  /** A UDP datagram (the stage ignores those on ports no dissector registered). */
  udp(v: PacketView): void;
  /** A non-IP frame (LLDP, CDP...). */
  layer2(v: PacketView): void;
  /** A TCP segment with payload on flow slot `f`, direction `dir`, whose stream is not done. */
  tcp(v: PacketView, f: number, dir: number): void;
  /** Flow slot `f` ended (its stream dissectors get a last call, its marks are cleared): call for every flow. */
  flowEnded(f: number): void;
  /** Distinct observations waiting for the next drain (approximate when remote). */
  readonly pending: number;
  /** Everything observed since the last drain, up to the last frame given. */
  drain(): EvidenceBatch;
  /** Release threads and buffers. */
  close(): void;
}

/**
 * Dissectors and aggregation for one thread. `markDone(slot)` records that TCP direction `slot`
 * (2 * flow + dir) needs no more segments.
 */
export class DissectStage {
  readonly dissectors = new DissectorSet();
  readonly streams: StreamCollector;
  readonly aggregator = new ObservationAggregator();
  /** The thread's allow-list drop counts when this stage started: it reports its own. */
  private readonly droppedBefore = droppedCounts();

  constructor(markDone: (slot: number) => void) {
    this.streams = new StreamCollector(
      markDone,
      this.dissectors.stream,
      (obs: Observation) => {
        this.dissectors.countStream(obs);
        this.aggregator.observe(obs);
      },
      (output: InventoryOutput) => this.aggregator.output(output),
    );
  }

  udp(v: PacketView): void {
    const obs = this.dissectors.inspectUdp(v);
    if (obs !== null && obs.length > 0) this.aggregator.observeList(obs, Math.floor(v.tsMicros / 1000), this.dissectors.entry);
  }

  layer2(v: PacketView): void {
    const obs = this.dissectors.inspectFrame(v);
    if (obs !== null && obs.length > 0) this.aggregator.observeList(obs, Math.floor(v.tsMicros / 1000), this.dissectors.entry);
  }

  tcp(v: PacketView, f: number, dir: number): void {
    this.streams.segment(v, f, dir);
  }

  flowEnded(f: number): void {
    this.streams.release(f);
  }

  drain(): EvidenceBatch {
    const rejected = { ...this.dissectors.rejected };
    this.dissectors.stream.forEach((d, i) => (rejected[d.name] = this.streams.rejectedBy[i]));
    const dropped: Record<string, number> = {};
    for (const [name, n] of Object.entries(droppedCounts())) {
      if (n > (this.droppedBefore[name] ?? 0)) dropped[name] = n - (this.droppedBefore[name] ?? 0);
    }
    return {
      ...this.aggregator.drain(),
      stats: { produced: { ...this.dissectors.produced }, rejected, dropped, streams: { ...this.streams.stats } },
    };
  }
}

/** The stage on the caller's thread. */
export class InlineDissection implements Dissection {
  private readonly stage: DissectStage;
  readonly streamDone: Uint8Array;

  /** @param flowSlots the flow table's size (`FlowTable.maxFlows`). */
  constructor(flowSlots: number) {
    const streamDone = new Uint8Array(flowSlots * 2);
    this.streamDone = streamDone;
    this.stage = new DissectStage((slot) => {
      streamDone[slot] = 1;
    });
  }

  udp(v: PacketView): void {
    this.stage.udp(v);
  }

  layer2(v: PacketView): void {
    this.stage.layer2(v);
  }

  tcp(v: PacketView, f: number, dir: number): void {
    this.stage.tcp(v, f, dir);
  }

  flowEnded(f: number): void {
    this.stage.flowEnded(f);
    this.streamDone[2 * f] = this.streamDone[2 * f + 1] = 0;
  }

  get pending(): number {
    return this.stage.aggregator.pending;
  }

  drain(): EvidenceBatch {
    return this.stage.drain();
  }

  close(): void {}
}
