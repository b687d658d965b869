/**
 * startServer: the one place that touches a socket. It must open the database read-only and turn the
 * usual start-up failures into one-line UserFacingErrors with the fix.
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserFacingError } from '../agent/errors.js';
import { buildFixtureDatabase, TOTAL_DEVICES } from './testing/fixture-db.js';
import { startServer, type RunningServer } from './server.js';
import { authHeaders, createTestToken } from './testing/test-app.js';

const HOST = '127.0.0.1';
let running: RunningServer | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

describe('startServer', () => {
  it('serves the inventory over HTTP from a read-only handle', async () => {
    const dbPath = buildFixtureDatabase();
    running = await startServer({ dbPath, host: HOST, port: 0, logger: false });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${running.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', devices: TOTAL_DEVICES });
    expect((await fetch(`${running.url}/api/v1/devices?limit=3`)).status).toBe(401);
    // A token created while the server runs works at once.
    const headers = authHeaders(createTestToken(dbPath, ['read']));
    const devices = (await (await fetch(`${running.url}/api/v1/devices?limit=3`, { headers })).json()) as { items: unknown[] };
    expect(devices.items).toHaveLength(3);
  });

  it('closes idempotently', async () => {
    const s = await startServer({ dbPath: buildFixtureDatabase(), host: HOST, port: 0, logger: false });
    await Promise.all([s.close(), s.close()]);
    await s.close();
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });

  it('reports a port in use with the fix', async () => {
    const b = createServer();
    blocker = b;
    await new Promise<void>((resolve) => b.listen(0, HOST, resolve));
    const port = (b.address() as { port: number }).port;
    const err = await startServer({ dbPath: buildFixtureDatabase(), host: HOST, port, logger: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect((err as Error).message).toBe(`port ${port} on ${HOST} is in use: choose another with --port`);
  });

  it('reports a missing database with the fix', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'auscult-api-')), 'missing.db');
    const err = await startServer({ dbPath: path, host: HOST, port: 0, logger: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect((err as Error).message).toMatch(/^no database at .*missing\.db: ingest a capture first/);
  });

  it('reports a host that is not local', async () => {
    const err = await startServer({ dbPath: buildFixtureDatabase(), host: '192.0.2.1', port: 0, logger: false, allowPlainHttp: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect((err as Error).message).toMatch(/^cannot listen on 192\.0\.2\.1: not an address of this machine/);
  });
});
