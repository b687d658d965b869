/**
 * The data flow in one place: frames → decode → flow table → dissectors → inventory → store.
 * A Pipeline is the FrameSink every packet source feeds; `flush()` writes what was aggregated.
 */
import type { FrameSink } from './capture/types.js';
import { DecodeCounters } from './decode/counters.js';
import { DecodeStatus, IpProto, PacketView } from './decode/packet-view.js';
import { FlowTable } from './flows/flow-table.js';
import type { DissectionStats } from './evidence/aggregator.js';
import { RemoteDissection, workerEntry } from './evidence/remote.js';
import { InlineDissection, type Dissection } from './evidence/stage.js';
import { Inventory } from './inventory/inventory.js';
import { DEFAULT_IDENTIFY_BATCH, DeviceClassifier } from './inventory/classifier.js';
import { DEFAULT_DEVICE_CACHE } from './inventory/mac-ids.js';
import { DEFAULT_RESOLVE_AFTER_HOURS, FindingsRunner } from './risk/findings-run.js';
import { loadFindingData, type FindingData } from './risk/finding-types.js';
import { loadAdvisoryAliases, type AdvisoryAliases } from './risk/advisory-aliases.js';
import type { Library } from './identify/index.js';
import type { Store } from './store/store.js';
import { EventRecorder } from './events/recorder.js';
import type { EventThresholds } from './events/thresholds.js';
import type { CaptureCounters } from './store/capture-counters.js';

/** ICMPv6 types of Neighbor Discovery the inventory reads (RFC 4861 sections 4.2, 4.4): routers, bindings. */
const ICMPV6_ROUTER_ADVERTISEMENT = 134;
const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;

export interface PipelineOptions {
  /** Flows held at once (memory bound: about 200 bytes each). */
  maxFlows?: number;
  /** Capture-time idle timeout after which a flow ends. */
  flowIdleTimeoutMs?: number;
  /** Flush to the database after this many frames. */
  flushEveryFrames?: number;
  /** Flush after this much wall-clock time since the last flush (checked every 4,096 frames; 0: never). */
  flushIntervalMs?: number;
  /** Flush early when this many distinct observations wait (a flood of DNS names, say). */
  maxPendingObservations?: number;
  /**
   * Flush early when the inventory holds this many pending endpoint, edge, service and address rows (a
   * scan, a MAC flood): with maxPendingObservations, what bounds the memory pending rows take.
   */
  maxPendingRows?: number;
  /** MAC → device ids the inventory keeps in memory (12-24 bytes each; the store is the source of truth). */
  deviceCache?: number;
  /** Devices identified per batch (one transaction; one batch's facts in memory). */
  identifyBatch?: number;
  /**
   * Run the dissectors on a worker thread (the compiled worker.js must exist beside remote.js; when
   * running from TypeScript sources the pipeline falls back to its own thread). Default: false.
   */
  dissectInWorker?: boolean;
  /** The worker entry to use instead of the compiled one beside remote.js (tests running from sources). */
  dissectWorkerEntry?: URL | null;
  /** Signature library: devices whose evidence changed are classified at each flush (none: not classified). */
  library?: Library | null;
  /**
   * Finding types and advisory aliases: the findings and risk of each device classified are computed
   * after it (default with a library: the built-in data; null: none).
   */
  findings?: { data: FindingData; aliases: AdvisoryAliases | null } | null;
  /** A finding with no evidence for this many hours of capture time is resolved (0: never; default 168). */
  resolveFindingsAfterHours?: number;
  /**
   * Classify at every flush (live capture: results within seconds) or only at finish() (reading files:
   * a device whose evidence keeps changing is classified once, not at every flush). Default: true.
   */
  classifyEveryFlush?: boolean;
  /** Event thresholds (README: Events); false: record no events. Default: the built-in thresholds. */
  events?: Partial<EventThresholds> | false;
}

export const DEFAULT_PIPELINE_OPTIONS: Required<Omit<PipelineOptions, 'findings'>> & Pick<PipelineOptions, 'findings'> = {
  maxFlows: 131_072,
  flowIdleTimeoutMs: 120_000,
  flushEveryFrames: 5_000_000,
  flushIntervalMs: 10_000,
  maxPendingObservations: 50_000,
  maxPendingRows: 100_000,
  deviceCache: DEFAULT_DEVICE_CACHE,
  identifyBatch: DEFAULT_IDENTIFY_BATCH,
  dissectInWorker: false,
  dissectWorkerEntry: null,
  library: null,
  findings: undefined as PipelineOptions['findings'],
  resolveFindingsAfterHours: DEFAULT_RESOLVE_AFTER_HOURS,
  classifyEveryFlush: true,
  events: {},
};

export interface PipelineSummary {
  frames: number;
  wireBytes: number;
  ipFrames: number;
  fragments: number;
  malformed: number;
  malformedByReason: Record<string, number>;
  unsupported: number;
  /** Decoded frames without IP, by what they carry (arp, lldp, stp, pppoe_discovery...: NonIp names). */
  nonIp: Record<string, number>;
  flows: number;
  flowsEvictedForSpace: number;
  /** Observations produced and packets rejected by dissector; values the clinical dissectors' allow-lists
   * dropped (a count per dissector, never the values). */
  dissectors: { produced: Record<string, number>; rejected: Record<string, number>; dropped: Record<string, number> };
  /** TCP directions collected for stream dissectors, given up at the bounds, declined by all. */
  streams: { directions: number; undecided: number; declined: number; overflow: number };
}

export class Pipeline implements FrameSink {
  readonly view = new PacketView();
  readonly counters = new DecodeCounters();
  readonly inventory: Inventory;
  readonly flows: FlowTable;
  readonly dissection: Dissection;
  /** The evidence stage's per-direction marks (Dissection.streamDone): read here to skip decided streams. */
  private readonly streamDone: Uint8Array;
  readonly classifier: DeviceClassifier | null;
  /** The events stage (listens to the store), null when events are off. */
  readonly events: EventRecorder | null;
  readonly findings: FindingsRunner | null;
  private readonly classifyEveryFlush: boolean;
  /** Whether dissection runs on a worker thread. */
  readonly threaded: boolean;
  private dissectionStats: DissectionStats = {
    produced: {}, rejected: {}, dropped: {}, streams: { directions: 0, undecided: 0, declined: 0, overflow: 0 },
  };
  private readonly flushEvery: number;
  private readonly flushIntervalMs: number;
  private readonly maxPending: number;
  private readonly maxPendingRows: number;
  private sinceFlush = 0;
  private lastFlushMs = performance.now();
  /** Wall time spent writing the inventory (every flush) and identifying devices, in ms. */
  readonly timings = { storeMs: 0, identifyMs: 0 };
  /** Flushes so far (their wall time is timings.storeMs). */
  flushes = 0;

  constructor(readonly store: Store, opts: PipelineOptions = {}) {
    // Options left undefined (e.g. a flag not given) keep their defaults.
    const o = { ...DEFAULT_PIPELINE_OPTIONS };
    for (const [k, v] of Object.entries(opts)) if (v !== undefined && k in o) (o as Record<string, unknown>)[k] = v;
    this.flows = new FlowTable(
      { maxFlows: o.maxFlows, idleTimeoutMs: o.flowIdleTimeoutMs },
      {
        flowUpdated: (t, f, ended) => {
          this.inventory.flowUpdated(t, f, ended);
          if (ended) this.dissection.flowEnded(f);
        },
      },
    );
    // Before the inventory: it tells the store's listener of ARP claims from the first frame.
    this.events = o.events === false ? null : new EventRecorder(store, o.events);
    this.inventory = new Inventory(store, this.flows.maxFlows, o.deviceCache);
    this.classifier = o.library !== null ? new DeviceClassifier(store, o.library, undefined, o.identifyBatch) : null;
    const findings = o.findings !== undefined ? o.findings : o.library !== null ? { data: loadFindingData(), aliases: loadAdvisoryAliases() } : null;
    this.findings = this.classifier !== null && findings !== null ? new FindingsRunner(store, findings.data, findings.aliases, o.resolveFindingsAfterHours) : null;
    this.classifyEveryFlush = o.classifyEveryFlush;
    const entry = o.dissectInWorker ? (o.dissectWorkerEntry ?? workerEntry()) : null;
    this.threaded = entry !== null;
    this.dissection = entry !== null ? new RemoteDissection(this.flows, entry) : new InlineDissection(this.flows.maxFlows);
    this.streamDone = this.dissection.streamDone;
    this.flushEvery = o.flushEveryFrames;
    this.flushIntervalMs = o.flushIntervalMs;
    this.maxPending = o.maxPendingObservations;
    this.maxPendingRows = o.maxPendingRows;
  }

  frame(bytes: Buffer, offset: number, caplen: number, wireLen: number, tsMicros: number, linkType: number): void {
    const c = this.counters;
    const v = this.view;
    c.frames++;
    c.wireBytes += wireLen;
    const status = v.decode(bytes, offset, caplen, wireLen, tsMicros, linkType);
    if (status !== DecodeStatus.OK) {
      if (status === DecodeStatus.MALFORMED) {
        c.malformedByReason[v.malformed]++;
        // Its Ethernet header still names a sender on the segment (a MAC flood's frames may be nothing more).
        this.inventory.onMalformedFrame(v);
      }
      else c.unsupported++;
    } else if (v.ipVersion !== 0) {
      c.ipFrames++;
      if (v.isFragment) c.fragments++;
      const f = this.flows.update(v);
      if (v.l4Proto === IpProto.TCP) {
        if (v.payloadLen > 0 && this.streamDone[2 * f + this.flows.dir] === 0 && !v.isLaterFragment) {
          this.dissection.tcp(v, f, this.flows.dir);
        }
      } else if (v.l4Proto === IpProto.UDP) {
        this.dissection.udp(v);
      } else if (v.l4Proto === IpProto.ICMPV6 && (v.srcPort === ICMPV6_ROUTER_ADVERTISEMENT || v.srcPort === ICMPV6_NEIGHBOR_ADVERTISEMENT)) {
        this.inventory.onNeighborDiscovery(v);
      }
    } else {
      c.nonIpByKind[v.nonIp]++;
      this.inventory.onLayer2Frame(v);
      this.dissection.layer2(v);
    }
    if (++this.sinceFlush >= this.flushEvery || this.dissection.pending >= this.maxPending) this.flush();
    else if ((this.sinceFlush & 0xfff) === 0 && this.flushDue()) this.flush();
  }

  /** Time for a flush by the clock, or by the memory the inventory's pending rows hold. */
  private flushDue(): boolean {
    return (this.flushIntervalMs > 0 && performance.now() - this.lastFlushMs >= this.flushIntervalMs) ||
      this.inventory.pendingRows >= this.maxPendingRows;
  }

  /** Report flows updated since the last flush and write all pending deltas. */
  flush(): void {
    this.sinceFlush = 0;
    this.lastFlushMs = performance.now();
    this.flows.checkpoint();
    this.collectEvidence();
    this.writeInventory();
    if (this.classifyEveryFlush) this.identify();
  }

  private writeInventory(): void {
    const t = performance.now();
    this.inventory.flush();
    this.timings.storeMs += performance.now() - t;
    this.flushes++;
  }

  private identify(): void {
    if (this.classifier === null) return;
    const t = performance.now();
    this.classifier.run();
    this.findings?.run(this.classifier.lastIds);
    this.timings.identifyMs += performance.now() - t;
  }

  /** Hand what the dissectors observed so far to the inventory. */
  private collectEvidence(): void {
    const d = this.dissection.drain();
    this.dissectionStats = d.stats;
    this.inventory.addEvidence(d);
  }

  /** End of input: end every flow and write everything. */
  finish(): void {
    this.flows.drain();
    this.collectEvidence();
    this.writeInventory();
    this.identify();
  }

  /** Capture time of the last frame decoded, ms (the view keeps it); null before the first. */
  lastPacketMs(): number | null {
    return this.counters.frames === 0 ? null : Math.floor(this.view.tsMicros / 1000);
  }

  /** Stop the dissection thread, if any (after finish(); the pipeline is unusable afterwards). */
  close(): void {
    this.dissection.close();
  }

  /** The counters /metrics reports, as of now (drops come from the packet source). */
  captureCounters(source: string, drops: { kernelDrops: number; interfaceDrops: number }): CaptureCounters {
    const s = this.summary();
    return {
      source, framesReceived: s.frames, wireBytes: s.wireBytes, kernelDrops: drops.kernelDrops, interfaceDrops: drops.interfaceDrops,
      malformedByReason: s.malformedByReason, dissectorProduced: s.dissectors.produced, dissectorRejected: s.dissectors.rejected,
      flowsActive: this.flows.size, flowsEvicted: s.flowsEvictedForSpace, flushes: this.flushes, flushSecondsTotal: this.timings.storeMs / 1000,
      lastPacketMs: this.lastPacketMs(),
    };
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
      nonIp: c.nonIpSummary(),
      flows: this.flows.created,
      flowsEvictedForSpace: this.flows.evictedForSpace,
      dissectors: {
        produced: { ...this.dissectionStats.produced }, rejected: { ...this.dissectionStats.rejected }, dropped: { ...this.dissectionStats.dropped },
      },
      streams: { ...this.dissectionStats.streams },
    };
  }
}
