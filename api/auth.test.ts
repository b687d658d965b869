/**
 * Bearer tokens on the API: 401 without or with a bad token, 403 without the scope, /health open; a
 * token created, revoked or expired while the app runs counts at the next request; every request is
 * audited without the token; the OpenAPI document declares the scheme and each route's scope.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiTokens, tokenHash, type ApiTokenRow } from '../agent/store/api-tokens.js';
import { StoreReader } from '../agent/store/reader.js';
import { buildFixtureDatabase } from './testing/fixture-db.js';
import { TokenCache } from './auth.js';
import { authHeaders, createTestToken, testApp, type TestApp } from './testing/test-app.js';
import { withFixtureApp } from './testing/fixture-app.js';

let reader: StoreReader;
let t: TestApp;
withFixtureApp((r, app) => ([reader, t] = [r, app]), { scopes: ['read'] });

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });

describe('bearer tokens', () => {
  it('answers 401 with a challenge without a token, with an unknown one, or another scheme', async () => {
    for (const headers of [{}, authHeaders('auscult_not-a-token'), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, { authorization: 'Bearer' }]) {
      const r = await get('/api/v1/devices', headers);
      expect(r.statusCode, JSON.stringify(headers)).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer realm="auscult"/);
      expect(r.json()).toEqual({ error: 'Unauthorized', message: expect.any(String), statusCode: 401 });
    }
    expect((await get('/api/v1/devices', authHeaders('auscult_x'))).headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('needs one for every route but /health, a path no route has included', async () => {
    expect((await get('/health')).statusCode).toBe(200);
    for (const url of ['/api/v1/devices/1', '/api/v1/devices/1/observations', '/api/v1/openapi.json', '/openapi.json', '/api/v1/nothing']) {
      expect((await get(url)).statusCode, url).toBe(401);
    }
    expect((await t.inject('/api/v1/nothing')).statusCode).toBe(404);
  });

  it('answers 403 when the token lacks the scope; admin has every scope', async () => {
    const metricsOnly = authHeaders(createTestToken(reader.path, ['metrics']));
    const r = await get('/api/v1/devices', metricsOnly);
    expect(r.statusCode).toBe(403);
    expect(r.headers['www-authenticate']).toContain('error="insufficient_scope", scope="read"');
    expect(r.json().message).toMatch(/needs a token with scope read/);
    // The document holds no inventory: any valid token reads it.
    expect((await get('/api/v1/openapi.json', metricsOnly)).statusCode).toBe(200);
    expect((await get('/api/v1/devices', authHeaders(createTestToken(reader.path, ['admin'])))).statusCode).toBe(200);
  });

  it('accepts a token created after the app started, and refuses it once revoked or expired, without a restart', async () => {
    const tokens = ApiTokens.open(reader.path);
    try {
      const late = tokens.create('late', ['read'], null)!;
      // Twice: the second is answered from the server's cache of verified tokens, which a revoke empties.
      expect((await get('/api/v1/devices/1', authHeaders(late))).statusCode).toBe(200);
      expect((await get('/api/v1/devices/1', authHeaders(late))).statusCode).toBe(200);
      expect(tokens.revoke('late')).toBe(true);
      expect((await get('/api/v1/devices/1', authHeaders(late))).statusCode).toBe(401);

      const soon = tokens.create('soon', ['read'], Date.now() + 300)!;
      expect((await get('/api/v1/devices/1', authHeaders(soon))).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 350));
      expect((await get('/api/v1/devices/1', authHeaders(soon))).statusCode).toBe(401);
    } finally {
      tokens.close();
    }
  });
});

describe('the cache of verified tokens', () => {
  /** A reader counting the table lookups; the test moves the data_version it passes. */
  function fakeReader(rows: Record<string, ApiTokenRow>) {
    const state = { version: 1, lookups: 0 };
    const reader = {
      apiToken: (hash: string) => {
        state.lookups++;
        return rows[hash] ?? null;
      },
    };
    return { state, reader };
  }
  const row: ApiTokenRow = { name: 'siem', scopes: ['read'], createdAtMs: 0, expiresAtMs: null, lastUsedAtMs: null };

  it('reads a token once while the database is unchanged, and again after any commit', () => {
    const { state, reader } = fakeReader({ h1: row });
    const cache = new TokenCache(reader);
    expect(cache.find('h1', state.version)).toEqual(row);
    expect(cache.find('h1', state.version)).toEqual(row);
    expect(state.lookups).toBe(1);
    state.version = 2; // another connection committed: a revoke, say
    expect(cache.find('h1', state.version)).toEqual(row);
    expect(state.lookups).toBe(2);
  });

  it('keeps no unknown token: each one is looked up (and cannot fill memory)', () => {
    const { state, reader } = fakeReader({});
    const cache = new TokenCache(reader);
    expect(cache.find('nope', state.version)).toBeNull();
    expect(cache.find('nope', state.version)).toBeNull();
    expect(state.lookups).toBe(2);
  });

  it('a revoke from another connection counts at the next request, on a real database', () => {
    const db = buildFixtureDatabase();
    const r = StoreReader.open(db);
    const tokens = ApiTokens.open(db);
    try {
      const cache = new TokenCache(r);
      const hash = tokenHash(tokens.create('kept', ['read'], null)!);
      expect(cache.find(hash, r.dataVersion())?.name).toBe('kept');
      expect(cache.find(hash, r.dataVersion())?.name).toBe('kept');
      tokens.revoke('kept');
      expect(cache.find(hash, r.dataVersion())).toBeNull();
    } finally {
      tokens.close();
      r.close();
    }
  });
});

describe('the audit of token use', () => {
  it('records who, when, which route and the answer; never the token or the query', async () => {
    const db = buildFixtureDatabase();
    const r = StoreReader.open(db);
    const a = await testApp(r, { scopes: ['read'] });
    const before = Date.now();
    expect((await a.inject('/api/v1/devices/abc')).statusCode).toBe(400);
    expect((await a.inject('/api/v1/devices?vendor=GE')).statusCode).toBe(200);
    expect((await a.app.inject({ url: '/api/v1/devices/1', headers: authHeaders('auscult_wrong') })).statusCode).toBe(401);
    expect((await a.inject('/health')).statusCode).toBe(200);
    await a.close(); // flushes the audit
    r.close();

    const tokens = ApiTokens.open(db);
    const uses = tokens.uses();
    const [mine] = tokens.list();
    tokens.close();
    expect(uses.map((u) => [u.tokenName === mine.name ? 'me' : u.tokenName, u.method, u.route, u.path, u.status])).toEqual([
      ['me', 'GET', '/api/v1/devices/:id', '/api/v1/devices/abc', 400],
      ['me', 'GET', '/api/v1/devices', '/api/v1/devices', 200],
      [null, 'GET', '/api/v1/devices/:id', '/api/v1/devices/1', 401],
    ]);
    for (const u of uses) {
      expect(u.atMs).toBeGreaterThanOrEqual(before);
      expect(u.client).toBe('127.0.0.1');
    }
    expect(mine.lastUsedAtMs).toBeGreaterThanOrEqual(before);
    // Only the hash reaches the disk.
    const file = readFileSync(db).toString('latin1') + readFileSync(`${db}-wal`, { flag: 'a+' }).toString('latin1');
    expect(file).not.toContain(a.token);
    expect(file).not.toContain(a.token.slice('auscult_'.length));
    expect(file).toContain(tokenHash(a.token));
  });
});

describe('OpenAPI security', () => {
  it('declares the bearer scheme, and each route\'s scope and 401/403 answers', async () => {
    const doc = (await t.inject('/api/v1/openapi.json')).json() as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, ops] of Object.entries(doc.paths)) {
      const op = ops.get ?? ops.post;
      if (path === '/health') {
        expect(op.security, path).toBeUndefined();
        continue;
      }
      expect(op.security, path).toEqual([{ bearer: [path === '/metrics' ? 'metrics' : path.startsWith('/api/v1/export/') ? 'export' : path.endsWith('/ack') ? 'admin' : 'read'] }]);
      expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(['401', '403']));
    }
  });
});
