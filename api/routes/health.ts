/**
 * Liveness and readiness in one: 200 only when the database answers a query, so a load balancer or
 * monitoring probe learns that the API can actually serve the inventory.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { StoredCaptureCounters } from '../../agent/store/capture-counters.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { ErrorResponse } from '../errors.js';

export interface HealthRoutesOptions {
  /** The inventory, read-only. */
  reader: StoreReader;
}

const Ingest = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: 'file or live' }),
  source: Type.String({ description: 'capture file name or interface' }),
  started_at: Type.String({ format: 'date-time', description: 'wall clock' }),
  finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null while running' }),
  status: Type.Union([Type.Literal('running'), Type.Literal('complete'), Type.Literal('incomplete'), Type.Literal('interrupted'), Type.Literal('failed')], {
    description:
      'running; complete (read to its end); incomplete (stopped early by damage: truncated file, corrupt record); ' +
      'interrupted (stopped on request, or its process was killed: a running ingest whose process is gone shows as interrupted); failed',
  }),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'why it is not complete; null when complete or running' }),
  frames: Type.Integer({ description: 'packets read so far (updated at each database write while running)' }),
  bytes: Type.Integer(),
  malformed: Type.Integer(),
  unsupported: Type.Integer(),
  flows: Type.Integer(),
  kernel_drops: Type.Union([Type.Integer(), Type.Null()], { description: 'live capture only: packets the kernel dropped so far' }),
  interface_drops: Type.Union([Type.Integer(), Type.Null()], { description: 'live capture only' }),
  last_packet_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'capture time of the newest packet read; null before the first' }),
  updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'wall clock of the last progress write' }),
});

const CaptureCounters = Type.Object(
  {
    ingest_id: Type.Integer({ description: 'the capture run the counters are from (last_ingest may be a later file read)' }),
    source: Type.String({ description: 'interface captured' }),
    frames_received: Type.Integer({ description: 'frames the capture received' }),
    received_bytes: Type.Integer({ description: 'bytes on the wire of those frames' }),
    kernel_drops: Type.Integer({ description: 'packets the kernel dropped before the capture read them (libpcap ps_drop)' }),
    interface_drops: Type.Integer({ description: 'packets the interface dropped (libpcap ps_ifdrop)' }),
    last_packet_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'capture time of the newest packet; null before the first' }),
    written_at: Type.String({ format: 'date-time', description: 'wall clock of the flush that wrote these counters' }),
    age_seconds: Type.Number({ description: 'seconds since that flush: a running capture writes every 2 s, so a large age means it stopped or hangs' }),
  },
  { description: 'what /metrics reports as auscult_frames_received_total and the drop counters, with their age' },
);

const Health = Type.Object(
  {
    status: Type.Literal('ok'),
    schema_version: Type.Integer({ description: 'PRAGMA user_version of the database' }),
    devices: Type.Integer({ description: 'devices in the inventory' }),
    last_ingest: Type.Union([Ingest, Type.Null()], { description: 'the most recent capture run, null before the first' }),
    ingests: Type.Object(
      { running: Type.Integer(), complete: Type.Integer(), incomplete: Type.Integer(), interrupted: Type.Integer(), failed: Type.Integer() },
      { description: 'capture runs by status: any incomplete, interrupted or failed one means the inventory misses traffic' },
    ),
    capture: Type.Union([CaptureCounters, Type.Null()], {
      description: 'the counters the live capture (in this process or another) wrote at its last flush; null before any live capture',
    }),
  },
  { description: 'The API can serve the inventory' },
);

const HealthError = Type.Intersect([Type.Object({ status: Type.Literal('error') }), ErrorResponse], {
  description: 'The database cannot be queried',
});

function captureJson(stored: StoredCaptureCounters, nowMs: number): Static<typeof CaptureCounters> {
  const c = stored.counters;
  return {
    ingest_id: stored.ingestId, source: c.source, frames_received: c.framesReceived, received_bytes: c.wireBytes,
    kernel_drops: c.kernelDrops, interface_drops: c.interfaceDrops,
    last_packet_at: c.lastPacketMs === undefined || c.lastPacketMs === null ? null : new Date(c.lastPacketMs).toISOString(),
    written_at: new Date(stored.writtenAtMs).toISOString(), age_seconds: Math.max(0, (nowMs - stored.writtenAtMs) / 1000),
  };
}

const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, opts) => {
  const { reader } = opts;

  app.get(
    '/health',
    {
      // Public: a load balancer's probe has no token, and the answer holds no inventory data.
      config: { public: true },
      schema: {
        summary: 'Service and database health',
        tags: ['health'],
        response: { 200: Health, 503: HealthError },
      },
    },
    async (req, reply) => {
      try {
        const h = reader.health();
        return {
          status: 'ok' as const, schema_version: h.schemaVersion, devices: h.devices, last_ingest: h.lastIngest, ingests: h.ingests,
          capture: h.capture === null ? null : captureJson(h.capture, Date.now()),
        };
      } catch (err) {
        req.log.error({ err }, 'health check: database query failed');
        return reply.code(503).send({
          status: 'error' as const,
          error: 'Service Unavailable',
          message: `the database cannot be queried: ${(err as Error).message}`,
          statusCode: 503,
        });
      }
    },
  );
};

export default healthRoutes;
