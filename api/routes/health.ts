/**
 * Liveness and readiness in one: 200 only when the database answers a query, so a load balancer or
 * monitoring probe learns that the API can actually serve the inventory.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type Database from 'better-sqlite3';
import { Type, type Static } from 'typebox';
import { ErrorResponse } from '../errors.js';

export interface HealthRoutesOptions {
  /** Read-only database handle. */
  db: Database.Database;
}

const Ingest = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: 'file or live' }),
  source: Type.String({ description: 'capture file name or interface' }),
  started_at: Type.String({ format: 'date-time', description: 'wall clock' }),
  finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null while running' }),
  status: Type.String({ description: 'running, complete, truncated, interrupted or failed' }),
  frames: Type.Integer(),
  bytes: Type.Integer(),
  malformed: Type.Integer(),
  unsupported: Type.Integer(),
  flows: Type.Integer(),
  kernel_drops: Type.Union([Type.Integer(), Type.Null()], { description: 'live capture only' }),
  interface_drops: Type.Union([Type.Integer(), Type.Null()], { description: 'live capture only' }),
});
type Ingest = Static<typeof Ingest>;

const Health = Type.Object(
  {
    status: Type.Literal('ok'),
    schema_version: Type.Integer({ description: 'PRAGMA user_version of the database' }),
    devices: Type.Integer({ description: 'devices in the inventory' }),
    last_ingest: Type.Union([Ingest, Type.Null()], { description: 'the most recent capture run, null before the first' }),
  },
  { description: 'The API can serve the inventory' },
);

const HealthError = Type.Intersect([Type.Object({ status: Type.Literal('error') }), ErrorResponse], {
  description: 'The database cannot be queried',
});

const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, opts) => {
  const { db } = opts;

  app.get(
    '/health',
    {
      schema: {
        summary: 'Service and database health',
        tags: ['health'],
        response: { 200: Health, 503: HealthError },
      },
    },
    async (req, reply) => {
      try {
        const schemaVersion = db.pragma('user_version', { simple: true }) as number;
        const devices = db.prepare('SELECT count(*) FROM devices').pluck().get() as number;
        const last = db
          .prepare(
            `SELECT id, kind, source, started_at, finished_at, status, frames, bytes, malformed, unsupported, flows,
                    kernel_drops, interface_drops
             FROM ingests ORDER BY id DESC LIMIT 1`,
          )
          .get() as Ingest | undefined;
        return { status: 'ok' as const, schema_version: schemaVersion, devices, last_ingest: last ?? null };
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
