/**
 * Whole responses of the inventory's read routes, kept while the database has not changed: a route
 * opts in with `config: { cache: true }`. The key is the request's URL (path and query as sent);
 * entries are valid for one database version, the change sequence's high-water mark and its pruning
 * floor (StoreReader.changeVersion): every write that changes what a device route answers stamps a
 * device in the change feed in the same transaction, so a new version means "answers may differ" and
 * the whole cache is dropped. A request that reads version V answers from state V or later, so an entry
 * stored under V is never older than what V stands for.
 *
 * Why: a page of 100 devices is ~240 KB of JSON, tens of ms of CPU to read and serialise; 1,000 such
 * requests a second (a SIEM's poll, dashboards, many clients on the first page) need the cached
 * body (README: API performance). Bounded by bytes (least recently used goes first). A hit sends the
 * same bytes and the same ETag as the miss that stored it (the ETag hook skips a reply that has one).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { markAsciiJson } from './json-text.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** GET answers of this route may be kept while the database version is unchanged (api/response-cache.ts). */
    cache?: boolean;
  }
  interface FastifyRequest {
    /** The database version this request read before its handler ran; null when not cacheable. */
    cacheVersion: string | null;
    /**
     * Set by a handler whose answer has a side effect a hit must repeat (the change feed's read-ahead of
     * the page after it): kept with the entry and called on each hit, since a hit skips the handler.
     */
    cacheOnHit: (() => void) | null;
  }
}

export const DEFAULT_RESPONSE_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  /** UTF-8, as sent: a hit skips the serialiser, the escaping (marked safe: api/json-text.ts) and the encoding. */
  body: Buffer;
  etag: string | undefined;
  contentType: string;
  /** What the handler does besides answering, repeated on a hit (FastifyRequest.cacheOnHit). */
  onHit?: () => void;
}

/** The entries of one database version, least recently used first, at most `maxBytes` of bodies. */
export class ResponseCache {
  private version: string | null = null;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The entry for `key` at `version`; a new version drops every entry of the old one. */
  get(key: string, version: string): Entry | undefined {
    if (version !== this.version) {
      this.entries.clear();
      this.bytes = 0;
      this.version = version;
      return undefined;
    }
    const e = this.entries.get(key);
    if (e !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  /** Keep `entry` unless the cache has moved on from `version` or the body alone exceeds a quarter of the budget. */
  set(key: string, version: string, entry: Entry): void {
    const size = entry.body.byteLength;
    if (version !== this.version || size > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.body.byteLength;
    }
    for (const [k, e] of this.entries) {
      if (this.bytes + size <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.body.byteLength;
    }
    this.entries.set(key, entry);
    this.bytes += size;
  }

  /** Whether `key` has an entry of the current version, without touching its place in the order. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Entries and body bytes held (tests, metrics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}

export interface ResponseCacheOptions {
  /** The database's version as of this request: changes whenever any cached route's answer may (StoreReader.changeVersion). */
  version: (req: FastifyRequest) => string;
  /** Bytes of bodies kept; 0 turns the cache off. */
  maxBytes?: number;
}

/**
 * Install on the root instance after every other onSend hook (the ETag and the terminal escaping), so
 * the stored body and ETag are what went out, and before the routes. Returns the cache (null when off).
 */
export function installResponseCache(app: FastifyInstance, opts: ResponseCacheOptions): ResponseCache | null {
  const maxBytes = opts.maxBytes ?? DEFAULT_RESPONSE_CACHE_BYTES;
  if (maxBytes <= 0) return null;
  const cache = new ResponseCache(maxBytes);
  app.decorateRequest('cacheVersion', null);
  app.decorateRequest('cacheOnHit', null);
  // The handler of each caching route is wrapped: a hit is answered after every hook before the handler
  // (authentication, validation, the rate limit's route-level preHandler), exactly as a miss would be.
  app.addHook('onRoute', (route: RouteOptions) => {
    if ((route.config as { cache?: boolean } | undefined)?.cache !== true) return;
    const handler = route.handler;
    route.handler = function cached(this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      if (req.method !== 'GET') return handler.call(this, req, reply);
      const version = opts.version(req);
      const hit = cache.get(req.url, version);
      if (hit === undefined) {
        req.cacheVersion = version;
        return handler.call(this, req, reply);
      }
      hit.onHit?.();
      if (hit.etag !== undefined) reply.header('etag', hit.etag);
      return reply.type(hit.contentType).send(hit.body);
    };
  });
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const version = req.cacheVersion;
    if (version === null || reply.statusCode !== 200) return payload;
    // A Buffer (api/json-text.ts) is kept as it is: no copy, and it went out through every hook before this one.
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.isBuffer(payload) ? payload : null;
    if (body === null) return payload;
    const contentType = String(reply.getHeader('content-type'));
    // What the escaping hook let through is ASCII-only JSON: a hit is not scanned again.
    if (contentType.startsWith('application/json')) markAsciiJson(body);
    const etag = reply.getHeader('etag');
    cache.set(req.url, version, { body, etag: typeof etag === 'string' ? etag : undefined, contentType, onHit: req.cacheOnHit ?? undefined });
    return payload;
  });
  return cache;
}
