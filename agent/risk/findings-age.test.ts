/**
 * Findings resolved by age, in capture time, on real captures read one after the other into one
 * database: findings-telnet.pcap (make-findings-fixtures.sh) gives gw a telnet finding; findings-ntlmv1.pcap,
 * recorded hours later (make-findings-later-fixtures.sh), moves the capture clock on without gw; then
 * findings-telnet-again.pcap has gw's telnetd again.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary } from '../identify/index.js';
import { Pipeline } from '../pipeline.js';
import { Store } from '../store/store.js';
import type { StoreReader } from '../store/reader.js';

const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
const HOUR = 3_600_000;

/** Reads each capture with its own pipeline (one `auscult read` each), the findings resolved after `hours`. */
async function readEach(path: string, captures: string[], hours: number): Promise<void> {
  for (const c of captures) {
    const store = new Store(path);
    const pipeline = new Pipeline(store, { library, classifyEveryFlush: false, resolveFindingsAfterHours: hours });
    await readCaptureFile(join('test-fixtures', c), pipeline);
    pipeline.finish();
    pipeline.close();
    store.close();
  }
}

const telnetOf = (r: StoreReader) => r.findings({ type: 'telnet', limit: 10 }).items.filter((f) => r.device(f.device_id)?.mac === '44:4b:5d:17:00:10');
const findingEvents = (r: StoreReader) => r.events({ afterSeq: 0, limit: 1000 })
  .filter((e) => e.type.startsWith('finding.') && (e.details as { finding_type?: string }).finding_type === 'telnet')
  .map((e) => `${e.type} ${e.time}`);

/** Time of the first packet of a little-endian microsecond pcap (what tcpdump writes here). */
function firstPacketMs(capture: string): number {
  const b = readFileSync(join('test-fixtures', capture));
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  return b.readUInt32LE(24) * 1000 + Math.floor(b.readUInt32LE(28) / 1000);
}

describe('findings resolved by age (capture time)', () => {
  it('the recordings are far enough apart for the scenario', () => {
    expect(firstPacketMs('findings-ntlmv1.pcap') - firstPacketMs('findings-telnet.pcap'), 'record make-findings-later-fixtures.sh 2 h or more after make-findings-fixtures.sh')
      .toBeGreaterThan(2 * HOUR);
    expect(firstPacketMs('findings-telnet-again.pcap')).toBeGreaterThan(firstPacketMs('findings-ntlmv1.pcap'));
  });

  it('no evidence for the resolution age: resolved (finding.resolved); new evidence: open again (finding.new)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'auscult-findings-age-')), 'inventory.db');
    await readEach(path, ['findings-telnet.pcap'], 2);
    let store = new Store(path);
    const [open] = telnetOf(store.reader);
    expect(open).toMatchObject({ status: 'open' });
    const seen = Date.parse(open.last_seen);
    store.close();

    // A capture hours later, without gw: the capture clock says the telnet evidence is older than 2 h.
    await readEach(path, ['findings-ntlmv1.pcap'], 2);
    store = new Store(path);
    const [resolved] = telnetOf(store.reader);
    // Resolved at the capture time the age was reached, not at the wall clock of the run.
    expect(resolved).toMatchObject({ id: open.id, status: 'resolved', resolved_at: new Date(seen + 2 * HOUR).toISOString() });
    expect(store.reader.deviceRisk(open.device_id)).toMatchObject({ likelihood: 0, score: 0 });
    expect(findingEvents(store.reader)).toEqual([`finding.new ${open.last_seen}`, `finding.resolved ${new Date(seen + 2 * HOUR).toISOString()}`]);
    store.close();

    // gw's telnetd seen again: the same finding open again, a new finding.new on the feed.
    await readEach(path, ['findings-telnet-again.pcap'], 2);
    store = new Store(path);
    const [again] = telnetOf(store.reader);
    expect(again).toMatchObject({ id: open.id, status: 'open', resolved_at: null });
    expect(Date.parse(again.last_seen)).toBeGreaterThan(Date.parse(resolved.resolved_at ?? ''));
    const events = findingEvents(store.reader);
    expect(events).toHaveLength(3);
    expect(events[2]).toBe(`finding.new ${again.last_seen}`);
    expect(store.reader.deviceRisk(open.device_id).likelihood).toBeGreaterThan(0);
    store.close();

    // Reading a capture again appends nothing (the ingest is skipped; the findings run finds nothing new).
    await readEach(path, ['findings-ntlmv1.pcap'], 2);
    store = new Store(path);
    expect(findingEvents(store.reader)).toEqual(events);
    store.close();
  });

  it('a longer age, or 0 (never), keeps it open', async () => {
    for (const hours of [24, 0]) {
      const path = join(mkdtempSync(join(tmpdir(), 'auscult-findings-age-')), 'inventory.db');
      await readEach(path, ['findings-telnet.pcap', 'findings-ntlmv1.pcap'], hours);
      const store = new Store(path);
      expect(telnetOf(store.reader).map((f) => f.status), `${hours} h`).toEqual(['open']);
      store.close();
    }
  });

  it('both captures in one read: the finding is recorded, then resolved (its history is kept)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'auscult-findings-age-')), 'inventory.db');
    const store = new Store(path);
    const pipeline = new Pipeline(store, { library, classifyEveryFlush: false, resolveFindingsAfterHours: 2 });
    for (const c of ['findings-telnet.pcap', 'findings-ntlmv1.pcap']) await readCaptureFile(join('test-fixtures', c), pipeline);
    pipeline.finish();
    pipeline.close();
    expect(telnetOf(store.reader).map((f) => f.status)).toEqual(['resolved']);
    expect(findingEvents(store.reader).map((e) => e.split(' ')[0])).toEqual(['finding.new', 'finding.resolved']);
    store.close();
  });
});
