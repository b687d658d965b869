/**
 * The API as tests use it: every route but /health needs a bearer token, so a test builds the app
 * with a token of the scopes it needs and sends it with each request.
 *
 *   const t = await testApp(reader);             // a token with every scope
 *   const r = await t.inject('/api/v1/devices');  // inject() with the Authorization header added
 *   await t.close();                               // the app, then the audit's connection
 *
 * Over a socket (startServer, `auscult serve`): `createTestToken(dbPath)` and `authHeaders(token)`.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ApiTokens, TOKEN_SCOPES, type TokenScope } from '../../agent/store/api-tokens.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { buildApp, type ApiApp, type BuildAppOptions } from '../app.js';

export interface TestApp {
  app: ApiApp;
  /** The token's value and the header that carries it. */
  token: string;
  headers: { authorization: string };
  /** The token tables' writer (the audit is written there; `tokens.uses()` reads it after close()). */
  tokens: ApiTokens;
  /** app.inject with the token's Authorization header (unless the options give their own headers). */
  inject(request: string | InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

let serial = 0;

/** A new token on the database at `dbPath` (every scope by default); its value. */
export function createTestToken(dbPath: string, scopes: readonly TokenScope[] = TOKEN_SCOPES, name = `test-${process.pid}-${++serial}`): string {
  const tokens = ApiTokens.open(dbPath);
  try {
    const token = tokens.create(name, scopes, null);
    if (token === null) throw new Error(`test token ${name} exists already`);
    return token;
  } finally {
    tokens.close();
  }
}

export const authHeaders = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });

export async function testApp(
  reader: StoreReader,
  opts: Omit<BuildAppOptions, 'reader' | 'audit'> & { scopes?: readonly TokenScope[] } = {},
): Promise<TestApp> {
  const { scopes, ...appOptions } = opts;
  const token = createTestToken(reader.path, scopes);
  const tokens = ApiTokens.open(reader.path);
  const app = await buildApp({ ...appOptions, reader, audit: tokens });
  const headers = authHeaders(token);
  return {
    app,
    token,
    headers,
    tokens,
    inject(request) {
      const o: InjectOptions = typeof request === 'string' ? { url: request } : request;
      return app.inject({ ...o, headers: o.headers ?? headers });
    },
    async close() {
      await app.close();
      tokens.close();
    },
  };
}
