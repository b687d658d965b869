/**
 * The API's hardening: HTTPS with a certificate openssl made, the refusal of plain HTTP off loopback,
 * security headers, the Host check (DNS rebinding), the rate limit per token, CORS off by default,
 * ETag/If-None-Match, the server's timeouts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserFacingError } from '../agent/errors.js';
import { StoreReader } from '../agent/store/reader.js';
import { skipReason, toolMissing } from '../agent/testing/tools.js';
import { buildFixtureDatabase } from './testing/fixture-db.js';
import { authHeaders, createTestToken, testApp } from './testing/test-app.js';
import { startServer } from './server.js';

let work: string;
let reader: StoreReader;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'auscult-hardening-'));
  reader = StoreReader.open(buildFixtureDatabase());
});
afterAll(() => {
  reader.close();
  rmSync(work, { recursive: true, force: true });
});

/** GET over HTTPS trusting `ca` alone; status, headers, body. */
function httpsGet(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const noOpenssl = skipReason('HTTPS test', toolMissing('openssl'));
describe.skipIf(noOpenssl !== undefined)('HTTPS', () => {
  it('serves over TLS with the given certificate, HSTS included; plain HTTP on that port fails', async () => {
    const cert = join(work, 'cert.pem');
    const key = join(work, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=auscult-test', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const dbPath = buildFixtureDatabase();
    const server = await startServer({ dbPath, host: '127.0.0.1', port: 0, logger: false, tlsCertPath: cert, tlsKeyPath: key });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(cert);
      const health = await httpsGet(`${server.url}/health`, ca);
      expect(health.status).toBe(200);
      expect(health.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      const token = createTestToken(dbPath, ['read']);
      const devices = await httpsGet(`${server.url}/api/v1/devices?limit=2`, ca, authHeaders(token));
      expect(devices.status).toBe(200);
      expect((JSON.parse(devices.body) as { items: unknown[] }).items).toHaveLength(2);
      // A client that does not trust the certificate refuses the connection.
      await expect(httpsGet(`${server.url}/health`, Buffer.from(''))).rejects.toThrow();
      await expect(fetch(server.url.replace('https:', 'http:') + '/health')).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('needs both the certificate and the key, and says which file it cannot read', async () => {
    const dbPath = buildFixtureDatabase();
    await expect(startServer({ dbPath, host: '127.0.0.1', port: 0, logger: false, tlsCertPath: join(work, 'cert.pem') }))
      .rejects.toThrow(/HTTPS needs both --tls-cert and --tls-key/);
    await expect(startServer({ dbPath, host: '127.0.0.1', port: 0, logger: false, tlsCertPath: join(work, 'none.pem'), tlsKeyPath: join(work, 'none.pem') }))
      .rejects.toThrow(/cannot read the TLS certificate .*none\.pem: ENOENT/);
  });
});

describe('plain HTTP off loopback', () => {
  it('is refused without --allow-plain-http', async () => {
    const err = await startServer({ dbPath: buildFixtureDatabase(), host: '0.0.0.0', port: 0, logger: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect((err as Error).message).toMatch(/^refusing to serve plain HTTP on 0\.0\.0\.0, which is not loopback: .*--tls-cert and --tls-key.*--allow-plain-http/);
  });

  it('is warned about at each start with --allow-plain-http', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
    const server = await startServer({ dbPath: buildFixtureDatabase(), host: '0.0.0.0', port: 0, logger, allowPlainHttp: true });
    await server.close();
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: expect.stringMatching(/^serving plain HTTP on 0\.0\.0\.0, which is not loopback/) })]);
  });

  it('sets the idle and header timeouts', async () => {
    const server = await startServer({ dbPath: buildFixtureDatabase(), host: '127.0.0.1', port: 0, logger: false, idleTimeoutSeconds: 7, headerTimeoutSeconds: 3 });
    try {
      expect(server.app.server.keepAliveTimeout).toBe(7000);
      expect(server.app.server.headersTimeout).toBe(3000);
    } finally {
      await server.close();
    }
  });
});

describe('security headers', () => {
  it('nosniff, frame deny, no-store, a CSP for a web page, on data and on errors', async () => {
    const t = await testApp(reader);
    try {
      // A miss, a hit of the response cache, a 401, /health, a 400, a 404.
      const answers = [await t.inject('/api/v1/devices/1'), await t.inject('/api/v1/devices/1'), await t.app.inject('/api/v1/devices/1'),
        await t.inject('/health'), await t.inject('/api/v1/devices/abc'), await t.inject('/api/v1/nothing')];
      expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 401, 200, 400, 404]);
      for (const r of answers) {
        expect(r.headers['x-content-type-options']).toBe('nosniff');
        expect(r.headers['x-frame-options']).toBe('DENY');
        expect(r.headers['cache-control']).toBe('no-store');
        expect(r.headers['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
        expect(r.headers['strict-transport-security']).toBeUndefined();
        expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
        expect(r.headers['referrer-policy']).toBe('no-referrer');
      }
    } finally {
      await t.close();
    }
  });
});

describe('the Host header', () => {
  it('answers localhost, loopback addresses, the listen address and configured names; 421 for others', async () => {
    const t = await testApp(reader, { hardening: { listenHost: '192.0.2.7', allowedHosts: ['sensor.example.org'] } });
    try {
      const status = async (host: string) => (await t.inject({ url: '/api/v1/devices/1', headers: { ...t.headers, host } })).statusCode;
      for (const host of ['localhost', 'localhost:8080', '127.0.0.1:8080', '127.1.2.3', '[::1]:8080', '192.0.2.7:8080', 'SENSOR.example.org']) {
        expect(await status(host), host).toBe(200);
      }
      for (const host of ['evil.example', 'sensor.example.org.evil.example', '192.0.2.8', '[::2]']) expect(await status(host), host).toBe(421);
      const r = await t.inject({ url: '/health', headers: { host: 'rebind.example' } });
      expect(r.statusCode).toBe(421);
      expect(r.json()).toEqual({ error: 'Misdirected Request', statusCode: 421, message: expect.stringMatching(/api\.allowed_hosts/) });
      expect(r.body).not.toContain('rebind.example');
    } finally {
      await t.close();
    }
  });
});

describe('rate limit', () => {
  it('counts per token: over the limit 429, another token unaffected', async () => {
    const t = await testApp(reader, { hardening: { rateLimitPerMinute: 3 } });
    try {
      for (let i = 0; i < 3; i++) expect((await t.inject('/api/v1/devices/1')).statusCode).toBe(200);
      const over = await t.inject('/api/v1/devices/1');
      expect(over.statusCode).toBe(429);
      expect(over.json()).toEqual({ error: 'Too Many Requests', statusCode: 429, message: expect.stringMatching(/rate limit of 3 requests a minute/) });
      expect(over.headers['retry-after']).toBeDefined();
      const other = authHeaders(createTestToken(reader.path, ['read']));
      expect((await t.app.inject({ url: '/api/v1/devices/1', headers: other })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('CORS', () => {
  it('is off by default; with origins configured, only those are allowed', async () => {
    const off = await testApp(reader);
    const on = await testApp(reader, { hardening: { corsOrigins: ['https://dash.example.org'] } });
    try {
      const origin = (o: string) => ({ ...off.headers, origin: o });
      expect((await off.inject({ url: '/api/v1/devices/1', headers: origin('https://dash.example.org') })).headers['access-control-allow-origin']).toBeUndefined();
      expect((await on.inject({ url: '/api/v1/devices/1', headers: { ...on.headers, origin: 'https://dash.example.org' } })).headers['access-control-allow-origin']).toBe('https://dash.example.org');
      expect((await on.inject({ url: '/api/v1/devices/1', headers: { ...on.headers, origin: 'https://evil.example' } })).headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await off.close();
      await on.close();
    }
  });
});

describe('ETag', () => {
  it('a device read carries an ETag; If-None-Match with it answers 304 without a body', async () => {
    const t = await testApp(reader);
    try {
      const first = await t.inject('/api/v1/devices/1');
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^W\/"/);
      const again = await t.inject({ url: '/api/v1/devices/1', headers: { ...t.headers, 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect((await t.inject('/api/v1/devices/2')).headers.etag).not.toBe(etag);
      // Without a token, no 304 that would confirm a guess.
      expect((await t.app.inject({ url: '/api/v1/devices/1', headers: { 'if-none-match': etag } })).statusCode).toBe(401);
    } finally {
      await t.close();
    }
  });
});
