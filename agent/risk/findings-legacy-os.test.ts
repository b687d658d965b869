/**
 * legacy-os on real bytes: public captures of Windows LANs in ../shared/corpus (read-only reference
 * material beside the checkout; skipped with the reason when absent). The OS a device states (browser
 * host announcements, User-Agents) against the end-of-support table, at the capture's own time.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary } from '../identify/index.js';
import { Pipeline } from '../pipeline.js';
import { Store } from '../store/store.js';

const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
const CORPUS = '../shared/corpus';

/** Each device's legacy-os finding of one capture read alone: MAC → [os, fact path, fact value]. */
async function legacyOf(capture: string): Promise<Record<string, [string, string, unknown]>> {
  const store = new Store(join(mkdtempSync(join(tmpdir(), 'auscult-legacy-')), 'inventory.db'));
  const pipeline = new Pipeline(store, { library, classifyEveryFlush: false });
  await readCaptureFile(join(CORPUS, capture), pipeline);
  pipeline.finish();
  pipeline.close();
  const out: Record<string, [string, string, unknown]> = {};
  for (const f of store.reader.findings({ type: 'legacy-os', limit: 1000 }).items) {
    const mac = store.reader.device(f.device_id)?.mac ?? `device ${f.device_id}`;
    out[mac] = [(f.evidence.detail as { os: string }).os, f.evidence.facts[0].path, f.evidence.facts[0].value];
  }
  store.close();
  return out;
}

describe('legacy-os on public captures', () => {
  it('a Windows 98 host announcing itself in 2019 (SV_TYPE_WINDOWS), long after 2006-07-11', async (ctx) => {
    if (!existsSync(CORPUS)) ctx.skip(`${CORPUS} absent (read-only reference material beside the checkout)`);
    // tshark: MDJR98 (00:50:56:33:78:9e) host and workgroup announcements, server types with 0x00400000
    // (SV_TYPE_WINDOWS), OS version 4.0, on 2019-12-15.
    expect(await legacyOf('netbios/ndpi__dos_win98_smb_netbeui.pcap')).toEqual({
      '00:50:56:33:78:9e': ['Windows 95/98/Me', 'browser.server_types', expect.arrayContaining(['windows_9x'])],
    });
  });

  it('Windows XP and 7 seen while still supported: none (2004, 2010; 2013 to 2016)', async (ctx) => {
    if (!existsSync(CORPUS)) ctx.skip(`${CORPUS} absent (read-only reference material beside the checkout)`);
    // tshark: browser OS 5.1 and "Windows NT 5.1" User-Agents (XP, supported until 2014-04-08) in captures
    // of 2004 and 2010; "Windows NT 6.1" User-Agents (Windows 7, until 2020-01-14) in 2013, 2015, 2016;
    // browser OS 6.1 (NVR9, BOWIE) in 2015.
    for (const c of ['netbios/tcpdump__eapon1.pcap', 'netbios/markofu__honeynet_suspicious-time.pcap', 'mixed/pcpp__example.pcap',
      'mixed/pcpp__many-protocols.pcap', 'mixed/ndpi__1kxun.pcap', 'netbios/ndpi__netbios.pcap']) {
      expect(await legacyOf(c), c).toEqual({});
    }
  });
});
