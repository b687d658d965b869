/**
 * `auscult export` through the built executable on a real database, and exportRecords in-process for
 * events (until issue 15's events table lands, events come from the EventSource given).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureDatabase, TOTAL_DEVICES } from '../../api/testing/fixture-db.js';
import { parseCef } from '../testing/cef-parser.js';
import { MemoryEventLog, sampleEvent } from '../testing/memory-event-log.js';
import { StoreReader } from '../store/reader.js';
import { Store } from '../store/store.js';
import { exportRecords } from './export.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
let work: string;
let db: string;

function run(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, AUSCULT_LOG_LEVEL: 'warn' };
  delete env.AUSCULT_CONFIG;
  delete env.AUSCULT_DB;
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: work, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
  work = mkdtempSync(join(tmpdir(), 'auscult-export-'));
  db = buildFixtureDatabase(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('auscult export devices', () => {
  it('prints one CEF line per device, with the list filters', () => {
    const all = run(['export', 'devices', '--format', 'cef', '--db', db]);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(TOTAL_DEVICES);
    for (const l of lines) parseCef(l);
    const reader = StoreReader.open(db);
    const philips = [...reader.allDevices({ vendor: 'philips' })].map((d) => String(d.id));
    reader.close();
    const some = run(['export', 'devices', '--format', 'cef', '--db', db, '--vendor', 'philips']);
    expect(some.stdout.trimEnd().split('\n').map((l) => parseCef(l).extension.get('cn2'))).toEqual(philips);
  });

  it('--output writes the file whole, under its name only at the end', () => {
    const out = join(work, 'devices.ocsf.ndjson');
    const r = run(['export', 'devices', '--format', 'ocsf', '--db', db, '--output', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(TOTAL_DEVICES);
    expect(readdirSync(work).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('usage errors exit 2 with the reason', () => {
    const cases: [string[], RegExp][] = [
      [['export', 'devices', '--db', db], /--format/],
      [['export', 'devices', '--format', 'xml', '--db', db], /Allowed choices/],
      [['export', 'things', '--format', 'cef', '--db', db], /Allowed choices/],
      [['export', 'devices', '--format', 'cef', '--since', '3', '--db', db], /--since applies to `export events`/],
      [['export', 'events', '--format', 'cef', '--vendor', 'x', '--db', db], /apply to `export devices`/],
      [['export', 'events', '--format', 'cef', '--since', '-1', '--db', db], /--since must be an integer/],
      [['export', 'devices', '--format', 'cef', '--mac', 'zz', '--db', db], /not a MAC address/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('events from the events table, after --since', () => {
    const empty = run(['export', 'events', '--format', 'json', '--db', db]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('[]\n');
    const store = new Store(db);
    store.transaction(() => {
      for (let i = 1; i <= 30; i++) store.events.append(sampleEvent(i));
    });
    store.close();
    const r = run(['export', 'events', '--format', 'cef', '--since', '20', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => parseCef(l).extension.get('externalId'))).toEqual(
      Array.from({ length: 10 }, (_, i) => `evt-test-${21 + i}`),
    );
  });
});

describe('exportRecords events', () => {
  it('streams the events after --since from the event source', async () => {
    const log = new MemoryEventLog();
    log.append(Array.from({ length: 1500 }, (_, i) => sampleEvent(i + 1)));
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const r = await exportRecords({ db, kind: 'events', format: 'cef', sinceSeq: 1200, out, events: () => log });
    expect(r.records).toBe(300);
    expect(text.trimEnd().split('\n').map((l) => parseCef(l).extension.get('externalId'))).toEqual(
      Array.from({ length: 300 }, (_, i) => `evt-test-${1201 + i}`),
    );
  });
});
