/**
 * Bearer tokens on every route but the public ones (`config: { public: true }`: /health). A route
 * declares the scope it needs (`config: { scope: 'export' }`); one that declares none needs `read`,
 * so a route added without thought is never open. A token is found by its SHA-256 through the
 * read-only StoreReader; a token found is kept in memory (by hash, never the token) only while the
 * database is unchanged (TokenCache): one created, revoked or expired while the server runs counts at
 * the next request. Each request that is not public is audited (who, when, which route, the answer;
 * never the token) through a buffer written once a second.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { tokenHash, type ApiTokenRow, type TokenScope, type TokenUse } from '../agent/store/api-tokens.js';
import type { StoreReader } from '../agent/store/reader.js';
import { ErrorResponse, errorBody } from './errors.js';

/** `any`: any valid token, whatever its scopes (the OpenAPI document). */
export type RouteScope = TokenScope | 'any';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a token needs for this route (default read). */
    scope?: RouteScope;
    /** No token needed (a route that serves no inventory data: /health). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Name of the token that authenticated the request; null before or without one. */
    tokenName: string | null;
    /** The reader's PRAGMA data_version read to authenticate it, for the response cache; null without. */
    dataVersion: number | null;
  }
}

/** Where audited requests go: ApiTokens (agent/store/api-tokens.ts) or a test double. */
export interface TokenUseSink {
  recordUses(uses: readonly TokenUse[]): void;
}

/** The security scheme's name in the OpenAPI document. */
export const BEARER_SCHEME = 'bearer';

export const SECURITY_SCHEMES = {
  [BEARER_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    description: 'an API token: `auscult token create --name NAME --scopes read`; send `Authorization: Bearer auscult_...`. ' +
      'Scopes: read (devices, observations, events, changes), export, metrics, admin (all of them).',
  },
} as const;

const AUTH_RESPONSES = {
  401: { ...ErrorResponse, description: 'no token, or an unknown, revoked or expired one' },
  403: { ...ErrorResponse, description: 'the token lacks the scope this route needs' },
};

const FLUSH_INTERVAL_MS = 1000;
const FLUSH_AT_USES = 1000;
/** Kept while the database refuses the audit's writes (busy, disk full); beyond it the oldest go. */
const MAX_PENDING_USES = 100_000;

/** Requests to audit, written in one transaction a second rather than one per request. */
class AuditBuffer {
  private pending: TokenUse[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly sink: TokenUseSink, private readonly onError: (err: unknown) => void) {
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  record(use: TokenUse): void {
    this.pending.push(use);
    if (this.pending.length >= FLUSH_AT_USES) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    try {
      this.sink.recordUses(this.pending);
      this.pending = [];
    } catch (err) {
      if (this.pending.length > MAX_PENDING_USES) this.pending.splice(0, this.pending.length - MAX_PENDING_USES);
      this.onError(err);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

/** Tokens kept: a deployment has a handful; a request with an unknown token is never kept. */
const MAX_CACHED_TOKENS = 1024;

/**
 * Tokens found, by hash, valid while `PRAGMA data_version` of the reader's connection is unchanged:
 * a create, revoke or expiry change from any connection (`auscult token`, this server's audit, a
 * capture's flush) is a commit, which empties it; the next request reads the table again. Expiry is
 * still checked against the clock on every request by the caller. Saves an index lookup per request.
 */
export class TokenCache {
  private version = -1;
  private readonly rows = new Map<string, ApiTokenRow>();

  constructor(private readonly reader: Pick<StoreReader, 'apiToken'>) {}

  /**
   * The stored token with this hash, null when none (unknown or revoked). `dataVersion`: the reader's
   * PRAGMA data_version read for this request, before the read: a commit after it changes the version
   * the next request brings.
   */
  find(sha256Hex: string, dataVersion: number): ApiTokenRow | null {
    const version = dataVersion;
    if (version !== this.version) {
      this.rows.clear();
      this.version = version;
    }
    const kept = this.rows.get(sha256Hex);
    if (kept !== undefined) return kept;
    const row = this.reader.apiToken(sha256Hex);
    if (row !== null && this.rows.size < MAX_CACHED_TOKENS) this.rows.set(sha256Hex, row);
    return row;
  }
}

/** The token in an `Authorization: Bearer <token>` header; undefined without one. */
function bearerToken(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  return m?.[1];
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string, challenge: string): FastifyReply {
  // RFC 6750 §3: the challenge names the scheme, and why a token was refused.
  return reply.code(status).header('www-authenticate', challenge).send(errorBody(status, message));
}

/** The scope a request needs: its route's, `any` for a path no route has (404 to token holders only). */
function scopeOf(req: FastifyRequest): RouteScope | 'public' {
  if (req.is404) return 'any';
  const config = req.routeOptions.config;
  return config.public === true ? 'public' : (config.scope ?? 'read');
}

async function authenticate(reader: StoreReader, tokens: TokenCache, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const needed = scopeOf(req);
  if (needed === 'public') return;
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) {
    return void refuse(reply, 401, 'this route needs an API token: Authorization: Bearer <token> (auscult token create)', 'Bearer realm="auscult"');
  }
  req.dataVersion = reader.dataVersion();
  const row = tokens.find(tokenHash(token), req.dataVersion);
  if (row === null || (row.expiresAtMs !== null && row.expiresAtMs <= Date.now())) {
    return void refuse(reply, 401, 'the API token is unknown, revoked or expired', 'Bearer realm="auscult", error="invalid_token"');
  }
  req.tokenName = row.name;
  if (needed !== 'any' && !row.scopes.includes(needed) && !row.scopes.includes('admin')) {
    return void refuse(reply, 403, `this route needs a token with scope ${needed}; token '${row.name}' has ${row.scopes.join(', ')}`,
      `Bearer realm="auscult", error="insufficient_scope", scope="${needed}"`);
  }
}

/** Declares each route's scope and the 401/403 answers in its schema, so the OpenAPI document shows them. */
function documentScope(route: RouteOptions): void {
  const config = route.config as { public?: boolean; scope?: RouteScope } | undefined;
  if (config?.public === true) return;
  const scope = config?.scope ?? 'read';
  const schema = (route.schema ??= {}) as Record<string, unknown>;
  schema.security = [{ [BEARER_SCHEME]: scope === 'any' ? [] : [scope] }];
  if (schema.response !== undefined) schema.response = { ...AUTH_RESPONSES, ...(schema.response as object) };
}

export interface AuthOptions {
  reader: StoreReader;
  audit: TokenUseSink;
}

/** Install on the root instance before any route is registered. */
export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  const audit = new AuditBuffer(opts.audit, (err) => app.log.error({ err }, 'cannot write the API token audit: kept in memory, retried'));
  app.decorateRequest('tokenName', null);
  app.decorateRequest('dataVersion', null);
  app.addHook('onRoute', documentScope);
  const tokens = new TokenCache(opts.reader);
  app.addHook('onRequest', async (req, reply) => authenticate(opts.reader, tokens, req, reply));
  app.addHook('onResponse', async (req, reply) => {
    if (scopeOf(req) === 'public') return;
    audit.record({
      atMs: Date.now(),
      tokenName: req.tokenName,
      method: req.method,
      route: req.is404 ? '(no route)' : req.routeOptions.url ?? '(no route)',
      path: req.url.split('?')[0].slice(0, 512),
      status: reply.statusCode,
      client: req.ip,
    });
  });
  app.addHook('onClose', async () => audit.close());
}
