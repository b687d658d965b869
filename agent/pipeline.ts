/**
 * The data flow in one place: frames → decode → flow table → dissectors → inventory → store.
 * A Pipeline is the FrameSink every packet source feeds; `flush()` writes what was aggregated.
 */
import type { FrameSink } from './capture/types.js';
import { DecodeCounters } from './decode/counters.js';
import { DecodeStatus, IpProto, PacketView } from './decode/packet-view.js';
import { DissectorSet } from './dissectors/index.js';
import { FlowTable } from './flows/flow-table.js';
import { StreamCollector } from './flows/streams.js';
import type { Observation } from './dissectors/types.js';
import { Inventory } from './inventory/inventory.js';
import type { Store } from './store/store.js';

export interface PipelineOptions {
  /** Flows held at once (memory bound: about 200 bytes each). */
  maxFlows?: number;
  /** Capture-time idle timeout after which a flow ends. */
  flowIdleTimeoutMs?: number;
  /** Flush to the database after this many frames (bounds the memory of pending deltas). */
  flushEveryFrames?: number;
  /** Flush early when this many distinct observations wait (a flood of DNS names, say). */
  maxPendingObservations?: number;
}

export const DEFAULT_PIPELINE_OPTIONS: Required<PipelineOptions> = {
  maxFlows: 131_072,
  flowIdleTimeoutMs: 120_000,
  flushEveryFrames: 1_000_000,
  maxPendingObservations: 50_000,
};

export interface PipelineSummary {
  frames: number;
  wireBytes: number;
  ipFrames: number;
  fragments: number;
  malformed: number;
  malformedByReason: Record<string, number>;
  unsupported: number;
  flows: number;
  flowsEvictedForSpace: number;
  dissectors: { produced: Record<string, number>; rejected: Record<string, number> };
  /** TCP directions collected for stream dissectors, given up at the bounds, declined by all. */
  streams: { directions: number; undecided: number; declined: number; overflow: number };
}

export class Pipeline implements FrameSink {
  readonly view = new PacketView();
  readonly counters = new DecodeCounters();
  readonly inventory: Inventory;
  readonly flows: FlowTable;
  readonly dissectors = new DissectorSet();
  readonly streams: StreamCollector;
  private readonly flushEvery: number;
  private readonly maxPending: number;
  private sinceFlush = 0;

  constructor(readonly store: Store, opts: PipelineOptions = {}) {
    // Options left undefined (e.g. a flag not given) keep their defaults.
    const o = { ...DEFAULT_PIPELINE_OPTIONS };
    for (const [k, v] of Object.entries(opts)) if (v !== undefined && k in o) (o as Record<string, unknown>)[k] = v;
    this.inventory = new Inventory(store);
    const inventory = this.inventory;
    this.flows = new FlowTable(
      { maxFlows: o.maxFlows, idleTimeoutMs: o.flowIdleTimeoutMs },
      {
        flowUpdated: (t, f, ended) => {
          inventory.flowUpdated(t, f, ended);
          if (ended) this.streams.release(f);
        },
      },
    );
    this.streams = new StreamCollector(this.flows, this.dissectors.stream, (obs: Observation) => {
      this.dissectors.countStream(obs);
      inventory.observe(obs);
    });
    this.flushEvery = o.flushEveryFrames;
    this.maxPending = o.maxPendingObservations;
  }

  frame(bytes: Buffer, offset: number, caplen: number, wireLen: number, tsMicros: number, linkType: number): void {
    const c = this.counters;
    const v = this.view;
    c.frames++;
    c.wireBytes += wireLen;
    const status = v.decode(bytes, offset, caplen, wireLen, tsMicros, linkType);
    if (status !== DecodeStatus.OK) {
      if (status === DecodeStatus.MALFORMED) c.malformedByReason[v.malformed]++;
      else c.unsupported++;
    } else if (v.ipVersion !== 0) {
      c.ipFrames++;
      if (v.isFragment) c.fragments++;
      const f = this.flows.update(v);
      if (v.l4Proto === IpProto.TCP) {
        if (v.payloadLen > 0 && this.flows.streamDone[2 * f + this.flows.dir] === 0 && !v.isLaterFragment) {
          this.streams.segment(v, f, this.flows.dir);
        }
      } else if (v.l4Proto === IpProto.UDP) {
        const obs = this.dissectors.inspectUdp(v);
        if (obs !== null) for (const o of obs) this.inventory.observe(o);
      }
    } else {
      this.inventory.onLayer2Frame(v);
      const obs = this.dissectors.inspectFrame(v);
      if (obs !== null) for (const o of obs) this.inventory.observe(o);
    }
    if (++this.sinceFlush >= this.flushEvery || this.inventory.pendingObservations >= this.maxPending) this.flush();
  }

  /** Report flows updated since the last flush and write all pending deltas. */
  flush(): void {
    this.sinceFlush = 0;
    this.flows.checkpoint();
    this.inventory.flush();
  }

  /** End of input: end every flow and write everything. */
  finish(): void {
    this.flows.drain();
    this.inventory.flush();
  }

  summary(): PipelineSummary {
    const c = this.counters;
    return {
      frames: c.frames,
      wireBytes: c.wireBytes,
      ipFrames: c.ipFrames,
      fragments: c.fragments,
      malformed: c.malformed,
      malformedByReason: c.malformedSummary(),
      unsupported: c.unsupported,
      flows: this.flows.created,
      flowsEvictedForSpace: this.flows.evictedForSpace,
      dissectors: { produced: { ...this.dissectors.produced }, rejected: { ...this.dissectors.rejected } },
      streams: { ...this.streams.stats },
    };
  }
}
