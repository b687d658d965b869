/**
 * Every public capture in ../shared/corpus (none written by this project) goes through the whole
 * pipeline: the frame count must match capinfos' count in the corpus INDEX.md, nothing may throw,
 * and whatever is malformed is counted. Skips, saying why, when ../shared is not beside the checkout.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from './capture/file-source.js';
import { NonIp } from './decode/counters.js';
import { DecodeStatus, EtherType, PacketView } from './decode/packet-view.js';
import { Pipeline } from './pipeline.js';
import { Store } from './store/store.js';

const corpus = join(import.meta.dirname, '..', '..', 'shared', 'corpus');
const present = existsSync(join(corpus, 'INDEX.md'));
if (!present) console.warn(`corpus tests skipped: ${corpus} not found (../shared sits beside the checkout in CI)`);

/** `| \`path\` | source | licence | size | link type (format) | packets | ...` rows of INDEX.md. */
function indexedCaptures(): { path: string; linkType: string; packets: number }[] {
  const rows = readFileSync(join(corpus, 'INDEX.md'), 'utf8').split('\n').filter((l) => l.startsWith('| `'));
  return rows.map((l) => {
    const cells = l.split('|').map((c) => c.trim());
    return { path: cells[1].replace(/`/g, ''), linkType: cells[5], packets: Number(cells[6].replace(/,/g, '')) };
  });
}

describe.skipIf(!present)('public corpus through the pipeline', () => {
  const work = present ? mkdtempSync(join(tmpdir(), 'auscult-corpus-')) : '';
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));
  const captures = present ? indexedCaptures().filter((c) => !c.path.startsWith('bench/')) : [];

  it('lists the captures of INDEX.md', () => {
    expect(captures.length).toBeGreaterThan(100);
  });

  it('reads every frame of every capture (count as capinfos) without a crash', async () => {
    const store = new Store(join(work, 'corpus.db'));
    const pipeline = new Pipeline(store);
    const mismatches: string[] = [];
    for (const c of captures) {
      const before = pipeline.counters.frames;
      const r = await readCaptureFile(join(corpus, c.path), pipeline);
      pipeline.flush();
      if (r.frames !== c.packets || pipeline.counters.frames - before !== c.packets) {
        mismatches.push(`${c.path}: ${r.frames} frames, INDEX.md says ${c.packets}`);
      }
    }
    pipeline.finish();
    const s = pipeline.summary();
    store.close();
    expect(mismatches).toEqual([]);
    expect(s.frames).toBe(captures.reduce((n, c) => n + c.packets, 0));
    // Raw IP and Linux cooked captures are in the corpus: nothing it holds is an unsupported link type.
    expect(s.unsupported).toBe(0);
    // Every frame is decoded as far as IP or counted: by what it carries, as malformed, or unsupported.
    const nonIp = Object.values(s.nonIp).reduce((a, b) => a + b, 0);
    expect(s.ipFrames + nonIp + s.malformed + s.unsupported).toBe(s.frames);
    // Spanning tree (802.1D_spanning_tree, evb: 29 BPDUs) and DTP are not CDP gone wrong.
    expect(s.nonIp.stp).toBeGreaterThanOrEqual(29);
    expect(s.dissectors.rejected.cdp).toBe(0);
    console.info(`corpus: ${captures.length} captures, ${s.frames} frames, ${s.flows} flows, malformed ${JSON.stringify(s.malformedByReason)}`);
  });

  it('decodes PPPoE sessions in double VLAN tags (zeek traces in bench/zeek-ethernet-merged.pcap; tshark: 111 frames of IP in PPPoE)', async () => {
    const v = new PacketView();
    let ipInPppoe = 0;
    let doubleTagged = 0;
    let discovery = 0;
    await readCaptureFile(join(corpus, 'bench', 'zeek-ethernet-merged.pcap'), {
      frame(buf, offset, caplen, wireLen, tsMicros, linkType) {
        if (v.decode(buf, offset, caplen, wireLen, tsMicros, linkType) !== DecodeStatus.OK) return;
        if (v.etherType === EtherType.PPPOE_SESSION && v.ipVersion !== 0) {
          ipInPppoe++;
          if (v.vlanCount === 2) doubleTagged++;
        }
        if (v.nonIp === NonIp.PPPOE_DISCOVERY) discovery++;
      },
    });
    expect({ ipInPppoe, doubleTagged, discovery }).toEqual({ ipInPppoe: 111, doubleTagged: 86, discovery: 4 });
  });
});
