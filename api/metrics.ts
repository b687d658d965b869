/**
 * GET /metrics: Prometheus text through prom-client, names `auscult_*` (counters end in `_total`,
 * units in the name). The capture's series come from the database (what the capture process wrote at
 * its last flush, with their age), so a `serve` separate from the capture reports them; the inventory
 * series are read at each scrape; the API's request durations are this process's own.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EVENT_TYPES } from '../agent/export/event.js';
import type { StoreReader } from '../agent/store/reader.js';

export interface ApiMetrics {
  registry: Registry;
  /** Read the database's series (before each scrape). */
  refresh(): void;
  /** One API request answered: its method, route pattern (never the URL: ids and filters), status and duration. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
}

/** A counter whose value another process counted: set at each scrape. */
function setCounter(c: Counter<string>, value: number, labels?: Record<string, string>): void {
  if (labels === undefined) c.inc(value);
  else c.inc(labels, value);
}

export function createApiMetrics(reader: StoreReader): ApiMetrics {
  const registry = new Registry();
  const reg = [registry];
  const capture = {
    frames: new Counter({ name: 'auscult_frames_received_total', help: 'Frames the capture received (its last flush)', registers: reg }),
    bytes: new Counter({ name: 'auscult_received_bytes_total', help: 'Bytes on the wire of the frames received', registers: reg }),
    kernelDrops: new Counter({ name: 'auscult_kernel_drops_total', help: 'Packets the kernel dropped before the capture read them (libpcap ps_drop)', registers: reg }),
    interfaceDrops: new Counter({ name: 'auscult_interface_drops_total', help: 'Packets the interface dropped (libpcap ps_ifdrop)', registers: reg }),
    malformed: new Counter({ name: 'auscult_malformed_frames_total', help: 'Frames counted and skipped as malformed, by reason', labelNames: ['reason'], registers: reg }),
    produced: new Counter({ name: 'auscult_dissector_observations_total', help: 'Observations each dissector produced', labelNames: ['dissector'], registers: reg }),
    rejected: new Counter({ name: 'auscult_dissector_rejected_total', help: 'Messages each dissector rejected as malformed', labelNames: ['dissector'], registers: reg }),
    flowsActive: new Gauge({ name: 'auscult_flows_active', help: 'Flows held in the flow table', registers: reg }),
    flowsEvicted: new Counter({ name: 'auscult_flows_evicted_total', help: 'Flows evicted early because the flow table was full', registers: reg }),
    flushes: new Counter({ name: 'auscult_flushes_total', help: 'Database flushes of the capture', registers: reg }),
    flushSeconds: new Counter({ name: 'auscult_flush_duration_seconds_total', help: 'Wall time the capture spent writing flushes', registers: reg }),
    age: new Gauge({ name: 'auscult_capture_counters_age_seconds', help: 'Age of the capture counters above (wall clock since the flush that wrote them)', registers: reg }),
    info: new Gauge({ name: 'auscult_capture_info', help: 'The capture the counters are from (value 1)', labelNames: ['source', 'ingest_id'], registers: reg }),
  };
  const devices = new Gauge({ name: 'auscult_devices', help: 'Devices in the inventory', registers: reg });
  const medical = new Gauge({ name: 'auscult_medical_devices', help: 'Devices identified as medical', registers: reg });
  const byCategory = new Gauge({ name: 'auscult_devices_by_category', help: 'Classified devices by category id', labelNames: ['category'], registers: reg });
  const events = new Counter({ name: 'auscult_events_total', help: 'Events recorded, by type', labelNames: ['type'], registers: reg });
  const forward = {
    sent: new Counter({ name: 'auscult_forward_events_sent_total', help: 'Events each forwarding destination accepted, resends included', labelNames: ['destination'], registers: reg }),
    resent: new Counter({ name: 'auscult_forward_events_resent_total', help: 'Events sent again after a (re)connect: the TCP/TLS resend window', labelNames: ['destination'], registers: reg }),
    reconnects: new Counter({ name: 'auscult_forward_reconnects_total', help: 'Connections to the destination opened again after a failure', labelNames: ['destination'], registers: reg }),
    dropped: new Counter({ name: 'auscult_forward_events_dropped_total', help: 'Events retention deleted before the destination accepted them', labelNames: ['destination'], registers: reg }),
    position: new Gauge({ name: 'auscult_forward_position_seq', help: 'Seq of the last event the destination accepted (its outbox position)', labelNames: ['destination'], registers: reg }),
    lag: new Gauge({ name: 'auscult_forward_lag_events', help: 'Events stored after the destination\'s position, not yet delivered', labelNames: ['destination'], registers: reg }),
  };
  const requests = new Histogram({
    name: 'auscult_api_request_duration_seconds', help: 'API request duration, by method, route and status',
    labelNames: ['method', 'route', 'status_code'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: reg,
  });

  // One read of the database per scrape, in one snapshot.
  const refresh = (): void => {
    reader.snapshot(() => {
      for (const c of Object.values(capture)) c.reset();
      const stored = reader.captureCounters();
      if (stored !== null) {
        const c = stored.counters;
        setCounter(capture.frames, c.framesReceived);
        setCounter(capture.bytes, c.wireBytes);
        setCounter(capture.kernelDrops, c.kernelDrops);
        setCounter(capture.interfaceDrops, c.interfaceDrops);
        for (const [reason, n] of Object.entries(c.malformedByReason)) setCounter(capture.malformed, n, { reason });
        for (const [dissector, n] of Object.entries(c.dissectorProduced)) setCounter(capture.produced, n, { dissector });
        for (const [dissector, n] of Object.entries(c.dissectorRejected)) setCounter(capture.rejected, n, { dissector });
        capture.flowsActive.set(c.flowsActive);
        setCounter(capture.flowsEvicted, c.flowsEvicted);
        setCounter(capture.flushes, c.flushes);
        setCounter(capture.flushSeconds, c.flushSecondsTotal);
        capture.age.set(Math.max(0, (Date.now() - stored.writtenAtMs) / 1000));
        capture.info.set({ source: c.source, ingest_id: String(stored.ingestId) }, 1);
      }
      devices.set(reader.deviceCount());
      const summary = reader.classificationSummary();
      medical.set(summary.medical);
      byCategory.reset();
      for (const [category, n] of Object.entries(summary.byCategory)) byCategory.set({ category }, n);
      events.reset();
      const counts = reader.eventCounts();
      for (const type of EVENT_TYPES) setCounter(events, counts[type], { type });
      // Destination names are the operator's URLs (never a token): forward --status shows the same.
      for (const m of Object.values(forward)) m.reset();
      for (const d of reader.forwarding().destinations) {
        const destination = { destination: d.destination };
        setCounter(forward.sent, d.sent, destination);
        setCounter(forward.resent, d.resent, destination);
        setCounter(forward.reconnects, d.reconnects, destination);
        setCounter(forward.dropped, d.dropped, destination);
        forward.position.set(destination, d.deliveredSeq);
        forward.lag.set(destination, d.lag);
      }
    });
  };
  return {
    registry,
    refresh,
    observeRequest: (method, route, statusCode, seconds) => requests.observe({ method, route, status_code: String(statusCode) }, seconds),
  };
}
