/**
 * `auscult serve`: open the database read-only, build the app, listen. The database file is the only
 * link to the writer (capture/read), which may be running at the same time (WAL).
 */
import { UserFacingError } from '../agent/errors.js';
import { ApiTokens } from '../agent/store/api-tokens.js';
import { StoreReader } from '../agent/store/reader.js';
import { buildApp, type ApiApp, type ApiLogger } from './app.js';

export interface StartServerOptions {
  dbPath: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger?: ApiLogger;
  version?: string;
}

export interface RunningServer {
  app: ApiApp;
  /** Base URL the server answers on, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Stop listening, finish in-flight requests, close the database. */
  close(): Promise<void>;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  // Read-only first: a missing database is an error here, where the audit's writer would create one.
  const reader = StoreReader.open(opts.dbPath);
  let audit: ApiTokens | undefined;
  let app: ApiApp | undefined;
  let url: string;
  const closeDatabase = () => {
    audit?.close();
    reader.close();
  };
  try {
    // The token audit's own connection; it also brings an older database's schema up to date.
    audit = ApiTokens.open(opts.dbPath);
    app = await buildApp({ reader, audit, logger: opts.logger, version: opts.version });
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
