/**
 * The API as a Fastify instance, built by a factory so tests drive it with `inject()` and no socket.
 * Schema-first: the TypeBox schemas of each route validate requests, serialise responses and make the
 * OpenAPI document. Read-only by construction: it is given a StoreReader on a read-only connection and
 * has no write routes; its plugins read through that reader and never see a database handle. The one
 * thing it writes is the audit of token use, through `audit` (api/auth.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RawServerDefault,
} from 'fastify';
import type { Logger, LoggerOptions } from 'pino';
import { jsonTextAscii } from '../agent/output/escape.js';
import { StoreReader } from '../agent/store/reader.js';
import type { EventSource } from '../agent/export/event-source.js';
import { installAuth, SECURITY_SCHEMES, type TokenUseSink } from './auth.js';
import { errorBody, validationMessage } from './errors.js';
import { installHardening, type HardeningOptions } from './hardening.js';
import changesRoutes from './routes/changes.js';
import devicesRoutes from './routes/devices.js';
import exportRoutes from './routes/export.js';
import eventsRoutes from './routes/events.js';
import graphRoutes from './routes/graph.js';
import webRoutes, { DEFAULT_IDLE_TIMEOUT_MINUTES } from './routes/web.js';
import metricsRoutes from './routes/metrics.js';
import { createApiMetrics } from './metrics.js';
import healthRoutes from './routes/health.js';
import findingsRoutes from './routes/findings.js';
import { strictInput } from './strict-input.js';
import { installResponseCache } from './response-cache.js';
import { asciiJson } from './json-text.js';
import { FeedReadAhead } from './feed-read-ahead.js';

export const API_PREFIX = '/api/v1';

/** false (silent), true (pino defaults), pino options, or a pino logger to share with the caller. */
export type ApiLogger = boolean | LoggerOptions | Logger;

export interface BuildAppOptions {
  /** The inventory, read-only (StoreReader.open(path)). */
  reader: StoreReader;
  /** Where token use is audited: ApiTokens.open(path) (a writer of the token tables only). */
  audit: TokenUseSink;
  logger?: ApiLogger;
  /** auscult version, shown in the OpenAPI document. */
  version?: string;
  /** Host names, rate limit, CORS (api/hardening.ts); defaults: loopback names, 1,200 a minute, no CORS. */
  hardening?: HardeningOptions;
  /** Serve HTTPS with this PEM certificate chain and key (contents, not paths). */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** Category ids a `category` filter accepts besides those stored devices have (default: the built-in library's). */
  categories?: readonly string[];
  /** Events for /export/events (default: the database's events table, through the reader). */
  events?: EventSource;
  /** The web page: false to leave it out; dir defaults to dist/web. */
  web?: false | { dir?: string; idleTimeoutMinutes?: number };
  /** Acknowledge a finding (POST /findings/{id}/ack): the one write, given by the server; absent: 405. */
  acknowledge?: (id: number, reason: string) => Promise<boolean>;
  /** Bytes of whole device responses kept while the database is unchanged (api/response-cache.ts); 0: none. */
  responseCacheBytes?: number;
  /**
   * The change feed's read-ahead of a catching-up client's next page (api/feed-read-ahead.ts): by
   * default one on a connection of its own to the reader's database; null: none. The app closes it.
   */
  feedReadAhead?: FeedReadAhead | null;
}

export type ApiApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

const DESCRIPTION =
  'auscult is a passive network discovery agent for hospital networks: it listens on a SPAN or TAP port, ' +
  'never transmits, and inventories the devices it hears (MAC and IP addresses, VLANs, services, ' +
  'conversation partners) into SQLite. This read-only API serves that inventory.';

/**
 * Fastify logs two info lines per request; this is one debug line when the response is sent, so a
 * monitoring probe polling /health leaves nothing in the log at the default level. Without the query
 * string: filters (a MAC, an IP) are the caller's business, not the log's.
 */
class RequestLog extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(_err: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    req.log.debug({ method: req.method, path: req.url.split('?')[0], statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  }
}

function isLoggerInstance(l: ApiLogger | undefined): l is Logger {
  return typeof l === 'object' && l !== null && typeof (l as Logger).child === 'function' && typeof (l as Logger).info === 'function';
}

export async function buildApp(opts: BuildAppOptions): Promise<ApiApp> {
  // A programmer error, not a user one: the server must never be able to change the inventory.
  if (!opts.reader.readonly) throw new Error('buildApp needs a reader on a read-only connection: StoreReader.open(path)');

  const app = Fastify({
    ...(isLoggerInstance(opts.logger) ? { loggerInstance: opts.logger } : { logger: opts.logger ?? false }),
    routerOptions: { ignoreTrailingSlash: true },
    logController: new RequestLog(),
    // Fastify's Ajv defaults strip unknown properties silently; we reject them so `?vendr=` is a 400.
    ajv: { customOptions: { removeAdditional: false } },
    ...(opts.https === undefined ? {} : { https: opts.https }),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as ApiApp;

  await app.register(swagger, {
    openapi: {
      // 3.1: its schemas are JSON Schema 2020-12, so TypeBox's `type: "null"` and `const` are valid.
      openapi: '3.1.0',
      info: { title: 'auscult API', description: DESCRIPTION, version: opts.version ?? '0.0.0-dev' },
      tags: [
        { name: 'devices', description: 'the device inventory' },
        { name: 'export', description: 'devices and events in SIEM formats (CEF, LEEF, OCSF, ECS, JSON, NDJSON, CSV), streamed' },
        { name: 'events', description: 'what changed on the network, in order (since=)' },
        { name: 'changes', description: 'the change feed: follow the inventory without missing a change' },
        { name: 'findings', description: 'security findings with their evidence; acknowledgements' },
        { name: 'health', description: 'service and database health' },
      ],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
  });

  // The Host check first: a request for a name this server does not answer to goes no further.
  await installHardening(app as unknown as FastifyInstance, { ...opts.hardening, tls: opts.https !== undefined });
  installAuth(app, { reader: opts.reader, audit: opts.audit });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const part = err.validationContext;
      const schema = part ? (req.routeOptions.schema as Record<string, unknown> | undefined)?.[part] : undefined;
      return reply.code(400).send(errorBody(400, validationMessage(err.validation, part, schema)));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody(status, err.message));
    // Details stay in the log: a 500 message must not leak internals (SQL, paths) to clients.
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody(500, 'internal error: see the auscult server log'));
  });

  // Repeated parameters, control characters, integers not in decimal digits: 400 before validation.
  app.addHook('preValidation', strictInput);
  // Every JSON answer in ASCII only: each non-ASCII character (and DEL) as a \u escape, which JSON reads
  // back as the same value. `curl` into a terminal prints nothing a terminal acts on (C1, bidi), and a
  // client decodes the body without a UTF-8 decoder's slow path (agent/output/escape.ts jsonTextAscii).
  // Bodies the routes built as bytes (api/json-text.ts) come escaped already and marked: passed as they are.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!String(reply.getHeader('content-type')).startsWith('application/json')) return payload;
    if (typeof payload === 'string') return jsonTextAscii(payload);
    return Buffer.isBuffer(payload) ? asciiJson(payload) : payload;
  });

  // After the ETag and escaping hooks: what it keeps is what went out.
  // The data_version authentication read for the request: one look at the database's state per request.
  const responseCache = installResponseCache(app as unknown as FastifyInstance, { version: (req) => opts.reader.changeVersion(req.dataVersion ?? undefined), maxBytes: opts.responseCacheBytes });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    return reply.code(404).send(errorBody(404, `no route ${req.method} ${path}`));
  });

  const metrics = createApiMetrics(opts.reader);
  app.addHook('onResponse', async (req, reply) => {
    // The route's pattern, never the URL (ids, filters): bounded label values. Unknown routes: 'unmatched'.
    metrics.observeRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(healthRoutes, { reader: opts.reader });
  await app.register(metricsRoutes, { metrics });
  await app.register(devicesRoutes, { prefix: API_PREFIX, reader: opts.reader, categories: opts.categories });
  await app.register(exportRoutes, { prefix: API_PREFIX, reader: opts.reader, categories: opts.categories, events: opts.events });
  await app.register(eventsRoutes, { prefix: API_PREFIX, reader: opts.reader });
  await app.register(graphRoutes, { prefix: API_PREFIX, reader: opts.reader, categories: opts.categories });

  if (opts.web !== false) {
    await app.register(webRoutes, { dir: opts.web?.dir, idleTimeoutMinutes: opts.web?.idleTimeoutMinutes ?? DEFAULT_IDLE_TIMEOUT_MINUTES });
  }
  const readAhead = opts.feedReadAhead === undefined ? new FeedReadAhead(() => StoreReader.open(opts.reader.path)) : opts.feedReadAhead;
  await app.register(changesRoutes, { prefix: API_PREFIX, reader: opts.reader, readAhead, responseCache });
  await app.register(findingsRoutes, { prefix: API_PREFIX, reader: opts.reader, acknowledge: opts.acknowledge });

  const openapi = async () => app.swagger();
  // Any valid token: the document holds no inventory data, but every route but /health needs a token.
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true }, config: { scope: 'any' } }, openapi);
  app.get('/openapi.json', { schema: { hide: true }, config: { scope: 'any' } }, openapi);

  await app.ready();
  return app;
}
