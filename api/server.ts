/**
 * `auscult serve`: open the database read-only, build the app, listen. The database file is the only
 * link to the writer (capture/read), which may be running at the same time (WAL).
 */
import { readFileSync } from 'node:fs';
import { UserFacingError } from '../agent/errors.js';
import { ApiTokens } from '../agent/store/api-tokens.js';
import { StoreReader } from '../agent/store/reader.js';
import { buildApp, type ApiApp, type ApiLogger } from './app.js';
import type { HardeningOptions } from './hardening.js';
import { acknowledgeFinding } from '../agent/risk/findings-run.js';
import { loadFindingData } from '../agent/risk/finding-types.js';
import { openFindingsStore, type FindingsStore } from '../agent/store/findings.js';
import { registerTokenFile, type TokenFileSpec } from './token-file.js';

export interface StartServerOptions {
  dbPath: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger?: ApiLogger;
  version?: string;
  /** PEM files: serve HTTPS (--tls-cert, --tls-key). */
  tlsCertPath?: string;
  tlsKeyPath?: string;
  /** Listen on a non-loopback address without TLS (--allow-plain-http): warned about at each start. */
  allowPlainHttp?: boolean;
  /** Host names, rate limit, CORS origins. */
  hardening?: Omit<HardeningOptions, 'listenHost' | 'tls'>;
  /** A connection with no request in flight is closed after this (default 60). */
  idleTimeoutSeconds?: number;
  /** A client must send its request headers within this (default 10: slow-header attacks). */
  headerTimeoutSeconds?: number;
  /** The web page signs out after this many minutes without activity (0: never; default 15). */
  webIdleTimeoutMinutes?: number;
  /** Bytes of whole device answers kept while the database is unchanged (api/response-cache.ts); 0: none. */
  responseCacheBytes?: number;
  /** A token the deployment supplies in a file, registered at start (--token-file). */
  tokenFile?: TokenFileSpec;
}

export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
export const DEFAULT_HEADER_TIMEOUT_SECONDS = 10;

/** localhost, 127.0.0.0/8, ::1: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The TLS files, read (a missing or unreadable one is a UserFacingError); undefined without TLS. */
function tlsFiles(opts: StartServerOptions): { cert: Buffer; key: Buffer } | undefined {
  if (opts.tlsCertPath === undefined && opts.tlsKeyPath === undefined) return undefined;
  if (opts.tlsCertPath === undefined || opts.tlsKeyPath === undefined) {
    throw new UserFacingError('HTTPS needs both --tls-cert and --tls-key (api.tls_cert, api.tls_key)');
  }
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new UserFacingError(`cannot read the TLS ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return { cert: read(opts.tlsCertPath, 'certificate'), key: read(opts.tlsKeyPath, 'key') };
}

/**
 * Refuses a plain-HTTP API reachable from the network (tokens and the inventory in clear on the wire)
 * unless the operator said so; then the returned warning is logged at every start.
 */
export function plainHttpPolicy(host: string, tls: boolean, allowPlainHttp: boolean): { refuse?: string; warn?: string } {
  if (tls || isLoopbackHost(host)) return {};
  if (!allowPlainHttp) {
    return {
      refuse: `refusing to serve plain HTTP on ${host}, which is not loopback: tokens and the inventory would cross the network in clear. ` +
        'Give --tls-cert and --tls-key (api.tls_cert, api.tls_key), or --allow-plain-http (api.allow_plain_http) behind a TLS proxy',
    };
  }
  return { warn: `serving plain HTTP on ${host}, which is not loopback (--allow-plain-http): tokens and the inventory cross the network in clear` };
}

export interface RunningServer {
  app: ApiApp;
  /** Base URL the server answers on, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Stop listening, finish in-flight requests, close the database. */
  close(): Promise<void>;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const tls = tlsFiles(opts);
  const policy = plainHttpPolicy(opts.host, tls !== undefined, opts.allowPlainHttp === true);
  if (policy.refuse !== undefined) throw new UserFacingError(policy.refuse);
  // Read-only first: a missing database is an error here, where the audit's writer would create one.
  const reader = StoreReader.open(opts.dbPath);
  let audit: ApiTokens | undefined;
  let app: ApiApp | undefined;
  let url: string;
  // Opened at the first acknowledgement: serving a database the server may not write stays possible.
  let writer: FindingsStore | null = null;
  const findingData = loadFindingData();
  const acknowledge = async (id: number, reason: string): Promise<boolean> => {
    writer ??= await openFindingsStore(opts.dbPath);
    return acknowledgeFinding(writer, findingData, id, reason);
  };
  const closeDatabase = () => {
    audit?.close();
    reader.close();
    writer?.close();
  };
  try {
    // The token audit's own connection; it also brings an older database's schema up to date.
    audit = ApiTokens.open(opts.dbPath);
    const registered = opts.tokenFile === undefined ? undefined : registerTokenFile(audit, opts.tokenFile);
    app = await buildApp({
      reader, audit, logger: opts.logger, version: opts.version, acknowledge, https: tls, hardening: { ...opts.hardening, listenHost: opts.host },
      web: opts.webIdleTimeoutMinutes === undefined ? {} : { idleTimeoutMinutes: opts.webIdleTimeoutMinutes }, responseCacheBytes: opts.responseCacheBytes,
    });
    // Node's defaults let a connection idle for long and a client dribble its headers.
    app.server.keepAliveTimeout = (opts.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS) * 1000;
    app.server.headersTimeout = (opts.headerTimeoutSeconds ?? DEFAULT_HEADER_TIMEOUT_SECONDS) * 1000;
    app.server.requestTimeout = Math.max(app.server.headersTimeout, 30_000);
    app.server.timeout = (opts.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS) * 1000;
    if (policy.warn !== undefined) app.log.warn(policy.warn);
    if (registered !== undefined) app.log.info(registered);
    url = await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app?.close();
    closeDatabase();
    throw listenError(err, opts.host, opts.port);
  }
  const running = app;
  let closing: Promise<void> | undefined;
  return {
    app: running,
    url,
    close() {
      closing ??= running.close().finally(closeDatabase);
      return closing;
    },
  };
}

/** The usual reasons a listen fails, as one line with the fix. */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new UserFacingError(`port ${port} on ${host} is in use: choose another with --port`);
  if (code === 'EACCES') {
    return new UserFacingError(`no permission to listen on port ${port} on ${host}: choose a port above 1023 with --port`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UserFacingError(`cannot listen on ${host}: not an address of this machine (choose another with --host)`);
  }
  return err;
}
