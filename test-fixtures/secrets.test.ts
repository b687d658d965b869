/**
 * Secrets and account names never land on disk. An SNMP community is a password: the net-snmp capture
 * carries `hospital-ro` and `hospital-trap`. An SMB logon names its account: the Samba capture carries
 * the user `radiology` (UTF-16LE, in three NTLMSSP AUTHENTICATE messages). None of them may reach the
 * database files (main, WAL, shared memory) nor what the API shows.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { Pipeline } from '../agent/pipeline.js';
import { StoreReader } from '../agent/store/reader.js';
import { Store } from '../agent/store/store.js';

/** Ingest a capture; return the bytes of every database file (read while the writer is open, so the
 * WAL still holds the transactions) and the devices with their observations as the API shows them. */
async function ingest(capture: string): Promise<{ files: Map<string, Buffer>; shown: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-secrets-'));
  try {
    const dbPath = join(dir, 's.db');
    const store = new Store(dbPath);
    const pipeline = new Pipeline(store);
    await readCaptureFile(capture, pipeline);
    pipeline.finish();
    const files = new Map([dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter(existsSync).map((f) => [f, readFileSync(f)]));
    store.close();
    const reader = StoreReader.open(dbPath);
    const shown = JSON.stringify([...reader.allDevices()].map((d) => [reader.deviceDetail(d.id), reader.observations(d.id)]));
    reader.close();
    return { files, shown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('secrets never land on disk', () => {
  it('keeps SNMP communities out of the database files and the device objects', async () => {
    const capture = join(import.meta.dirname, 'evidence-snmp.pcap');
    const secrets = ['hospital-ro', 'hospital-trap'];
    // The capture really carries them: the test would prove nothing otherwise.
    const raw = readFileSync(capture).toString('latin1');
    for (const s of secrets) expect(raw).toContain(s);
    const { files, shown } = await ingest(capture);
    expect(files.size).toBeGreaterThan(1);
    for (const [f, bytes] of files) for (const s of secrets) expect(bytes.includes(s), `${s} in ${f}`).toBe(false);
    expect(shown).toContain('community_seen');
    for (const s of secrets) expect(shown).not.toContain(s);
  });

  it('keeps the SMB account name out of the database files and the device objects', async () => {
    const capture = join(import.meta.dirname, 'smb-samba.pcap');
    const user = 'radiology';
    expect(readFileSync(capture).includes(Buffer.from(user, 'utf16le'))).toBe(true);
    const { files, shown } = await ingest(capture);
    expect(files.size).toBeGreaterThan(1);
    for (const [f, bytes] of files) {
      for (const encoding of ['utf8', 'utf16le'] as const) expect(bytes.includes(Buffer.from(user, encoding)), `${user} (${encoding}) in ${f}`).toBe(false);
    }
    // What the same messages say about the client is kept: the test reads the right observations.
    expect(shown).toContain('WS-NURSE-02');
    expect(shown.toLowerCase()).not.toContain(user);
  });
});
