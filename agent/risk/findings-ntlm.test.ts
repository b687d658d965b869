/**
 * ntlmv1 on real bytes: impacket's SMB client logging on to Samba with NTLMv1 and, from another host,
 * with NTLMv2 (test-fixtures/make-findings-later-fixtures.sh). The finding fires on the NTLMv1 client only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary } from '../identify/index.js';
import { Pipeline } from '../pipeline.js';
import { StoreReader } from '../store/reader.js';
import { Store } from '../store/store.js';

const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });

/** The NT response of every NTLMSSP AUTHENTICATE in the bytes ([MS-NLMP] 2.2.1.3: NtChallengeResponseFields at 20). */
function ntResponses(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const sig = Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1');
  for (let at = bytes.indexOf(sig); at >= 0; at = bytes.indexOf(sig, at + 1)) {
    const len = bytes.readUInt16LE(at + 20);
    const offset = bytes.readUInt32LE(at + 24);
    out.push(bytes.subarray(at + offset, at + offset + len));
  }
  return out;
}

describe('ntlmv1 from a real NTLMv1 logon', () => {
  it('fires on the client that sent a 24-byte NT response, not on the NTLMv2 client; no secret stored', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'auscult-ntlm-')), 'inventory.db');
    const store = new Store(path);
    const pipeline = new Pipeline(store, { library, classifyEveryFlush: false });
    await readCaptureFile(join('test-fixtures', 'findings-ntlmv1.pcap'), pipeline);
    pipeline.finish();
    pipeline.close();
    store.close();
    const r = StoreReader.open(path);
    const byIp = new Map<string, string[]>();
    for (const f of r.findings({ limit: 1000 }).items) {
      const ip = r.device(f.device_id)?.ips[0]?.ip ?? '';
      byIp.set(ip, [...(byIp.get(ip) ?? []), f.type].sort());
    }
    // old (10.71.0.51) sent NTLMv1; ws2 (10.71.0.52) the same logon with NTLMv2; both over SMB1, as srv.
    expect(Object.fromEntries(byIp)).toEqual({ '10.71.0.10': ['smb1'], '10.71.0.51': ['ntlmv1', 'smb1'], '10.71.0.52': ['smb1'] });
    const [f] = r.findings({ type: 'ntlmv1' }).items;
    expect(f.evidence.observations).toEqual([expect.objectContaining({ source: 'smb', fields: { ntlm_version: 'v1' } })]);
    expect(f.evidence.peers.map((p) => `${p.role}:${p.peer_ip}:${p.port}`)).toEqual(['client:10.71.0.10:445']);
    r.close();
    // The responses (crackable offline) are stored nowhere: each AUTHENTICATE's NT response, read from the capture.
    const db = readFileSync(path);
    const responses = ntResponses(readFileSync(join('test-fixtures', 'findings-ntlmv1.pcap')));
    expect(responses.map((x) => x.length).sort((a, b) => a - b)).toEqual([24, expect.any(Number)]);
    for (const x of responses) expect(db.includes(x)).toBe(false);
    r.close();
  });
});
