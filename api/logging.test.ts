/**
 * What the API writes to the log: at the default level (info) a monitoring probe polling /health
 * leaves nothing; at debug each request is one line, without its query string (a MAC or an IP in a
 * filter is the caller's business). Errors still reach the log at error level.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StoreReader } from '../agent/store/reader.js';
import { buildFixtureDatabase } from './testing/fixture-db.js';
import { testApp } from './testing/test-app.js';

async function logLines(level: string, run: (inject: (url: string) => Promise<number>) => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const reader = StoreReader.open(buildFixtureDatabase());
  const app = await testApp(reader, { logger });
  try {
    await run(async (url) => (await app.inject(url)).statusCode);
  } finally {
    await app.close();
    reader.close();
  }
  return lines;
}

describe('API request logging', () => {
  it('logs nothing for /health or a device list at info', async () => {
    const lines = await logLines('info', async (inject) => {
      for (let i = 0; i < 3; i++) expect(await inject('/health')).toBe(200);
      expect(await inject('/api/v1/devices?mac=00:1b:21:00:00:01')).toBe(200);
    });
    expect(lines).toEqual([]);
  });

  it('logs one debug line per request, without the query string', async () => {
    const lines = await logLines('debug', async (inject) => {
      expect(await inject('/health')).toBe(200);
      expect(await inject('/api/v1/devices?mac=00:1b:21:00:00:01&limit=5')).toBe(200);
      expect(await inject('/api/v1/nothing?ip=10.0.0.1')).toBe(404);
    });
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.level, l.method, l.path, l.statusCode])).toEqual([
      [20, 'GET', '/health', 200],
      [20, 'GET', '/api/v1/devices', 200],
      [20, 'GET', '/api/v1/nothing', 404],
    ]);
    expect(lines.length).toBe(requests.length);
    expect(JSON.stringify(lines)).not.toMatch(/00:1b:21:00:00:01|10\.0\.0\.1|limit=/);
  });

  it('never logs a token, even at trace level', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
    const reader = StoreReader.open(buildFixtureDatabase());
    const app = await testApp(reader, { logger });
    expect((await app.inject('/api/v1/devices/1')).statusCode).toBe(200);
    expect((await app.app.inject({ url: '/api/v1/devices/1', headers: { authorization: 'Bearer auscult_wrong-one' } })).statusCode).toBe(401);
    await app.close();
    reader.close();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toMatch(new RegExp(`${app.token}|auscult_wrong-one|authorization`, 'i'));
  });

  it('still logs a failure at error level', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const reader = StoreReader.open(buildFixtureDatabase());
    const app = await testApp(reader, { logger });
    reader.close();
    expect((await app.inject('/health')).statusCode).toBe(503);
    await app.close();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[50, 'health check: database query failed']]);
  });
});
