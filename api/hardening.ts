/**
 * What a reviewer expects of an HTTP service beside authentication: security headers (helmet:
 * nosniff, frame-deny, a CSP ready for the web page to come; `Cache-Control: no-store`, the inventory
 * must not linger in caches), the Host header checked against the names the server answers to (DNS
 * rebinding), a rate limit per token (@fastify/rate-limit), CORS only for configured origins
 * (@fastify/cors) and ETag/If-None-Match on reads (@fastify/etag).
 */
import { networkInterfaces } from 'node:os';
import cors from '@fastify/cors';
import etag from '@fastify/etag';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

export interface HardeningOptions {
  /** The address the server listens on (`--host`): it is a name the Host header may carry. */
  listenHost?: string;
  /** More names the Host header may carry (a DNS name of the sensor): `api.allowed_hosts`. */
  allowedHosts?: readonly string[];
  /** Requests a minute per token (per client address before authentication); 0: no limit. */
  rateLimitPerMinute?: number;
  /** Origins a browser may call the API from (CORS); none by default. */
  corsOrigins?: readonly string[];
  /** Served over TLS: browsers are told to keep to HTTPS (HSTS). */
  tls?: boolean;
}

/** A dashboard polling a few routes every few seconds stays far below it. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** `host:port`, `[v6]:port`, `v6` → the host part, lower case, without brackets. */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  const colons = h.split(':').length - 1;
  return colons === 1 ? h.slice(0, h.indexOf(':')) : h;
}

/**
 * The names the Host header may carry: localhost, the loopback addresses, the listen address, the
 * configured names; listening on every address, also every address of this machine.
 */
export function allowedHostNames(opts: HardeningOptions): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  const listen = hostOf(opts.listenHost ?? '');
  if (WILDCARDS.has(listen)) {
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) names.add(a.address.toLowerCase());
  } else {
    names.add(listen);
  }
  for (const n of opts.allowedHosts ?? []) names.add(hostOf(n));
  return names;
}

function checkHost(allowed: Set<string>, req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const header = req.headers.host;
  const host = header === undefined ? '' : hostOf(header);
  // 127.0.0.0/8 is loopback as a whole.
  if (allowed.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)) return done();
  // No echo of the header: it is the client's, and may be anything.
  void reply.code(421).send(errorBody(421, 'this server does not answer to that Host name: add it to api.allowed_hosts (--allowed-hosts)'));
}

/**
 * The headers helmet sets with these options, computed once. helmet's middleware parses its options
 * each time it is built, and @fastify/helmet builds it on every request (tens of µs of a cached
 * answer's few hundred); with no per-request part (no CSP nonce) the headers are the same every time.
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: unknown) { headers[name.toLowerCase()] = String(value); },
    removeHeader(name: string) { delete headers[name.toLowerCase()]; },
  };
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => { if (err !== undefined) throw err; });
  return headers;
}

export async function installHardening(app: FastifyInstance, opts: HardeningOptions): Promise<void> {
  const allowed = allowedHostNames(opts);
  app.addHook('onRequest', (req, reply, done) => checkHost(allowed, req, reply, done));

  const headers = securityHeaders({
    // For the web page to come: its own scripts, styles and images, and calls to this API only.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"],
        fontSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    hsts: opts.tls === true ? { maxAge: 31_536_000 } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  headers['cache-control'] = 'no-store';
  app.addHook('onRequest', (_req, reply, done) => {
    void reply.headers(headers);
    done();
  });

  if ((opts.corsOrigins ?? []).length > 0) {
    await app.register(cors, { origin: [...(opts.corsOrigins ?? [])], methods: ['GET', 'HEAD'], allowedHeaders: ['Authorization', 'If-None-Match'], exposedHeaders: ['ETag'] });
  }

  const perMinute = opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      // After authentication (onRequest): the bucket is the token's; a refused request has none.
      hook: 'preHandler',
      keyGenerator: (req) => (req.tokenName !== null ? `token:${req.tokenName}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) => ({ ...errorBody(429, `rate limit of ${ctx.max} requests a minute reached: retry in ${Math.ceil(ctx.ttl / 1000)} s (api.rate_limit_per_minute)`), statusCode: 429 }),
    });
  }

  // Weak: the body is the same JSON, however it is compressed or escaped on the way.
  await app.register(etag, { weak: true });
}
