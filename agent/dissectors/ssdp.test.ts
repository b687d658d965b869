import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ssdp } from './ssdp.js';
import { agreement, corpusDir, corpusPresent, fuzz, parseFrame, runCapture, shapeErrors, withPayload, type Routed } from '../testing/udp-dissectors.js';

// No SSDP in test-fixtures/: every test here reads the public corpus.
if (!corpusPresent) console.warn(`ssdp tests skipped: ${corpusDir} not found (../shared sits beside the checkout)`);

describe.skipIf(!corpusPresent)('ssdp on public captures', () => {
  const cache = new Map<string, Promise<Routed<'ssdp'>[]>>();
  const run = (file: string) => cache.get(file) ?? cache.set(file, runCapture(join(corpusDir, file), ssdp)).get(file)!;
  const obs = async (file: string) => (await run(file)).flatMap((r) => r.out ?? []);

  it('a NOTIFY describes the announcing device: SERVER, USN and its UUID, NT, LOCATION', async () => {
    const o = await obs('fingerprint/iot-sentinel/HueBridge__Setup-A-2-STA.pcap');
    expect(shapeErrors(ssdp, o)).toEqual([]);
    expect(o).toContainEqual(expect.objectContaining({
      device: { ip: '10.10.10.6', mac: '00:17:88:24:76:ff' },
      fields: {
        message_type: 'notify', location: 'http://10.10.10.6:80/description.xml', server: 'Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0',
        nts: 'ssdp:alive', nt: 'upnp:rootdevice', usn: 'uuid:2f402f80-da50-11e1-9b23-0017882476ff::upnp:rootdevice',
        uuid: '2f402f80-da50-11e1-9b23-0017882476ff',
      },
    }));
  });

  it('an M-SEARCH describes the searcher: its search target and USER-AGENT', async () => {
    const o = await obs('ssdp/ndpi__ssdp-m-search-ua.pcap');
    expect(o[0]).toMatchObject({
      device: { ip: '192.168.242.50', mac: 'f0:2f:4b:09:93:bc' },
      fields: { message_type: 'search', st: 'urn:dial-multiscreen-org:service:dial:1', user_agent: 'Google Chrome/99.0.4844.74 Mac OS X' },
    });
  });

  it('a unicast reply to M-SEARCH describes the responder', async () => {
    // No search reply in the corpus: the Hue's NOTIFY frame carries the reply the bridge sends.
    const notify = (await run('fingerprint/iot-sentinel/HueBridge__Setup-A-2-STA.pcap')).find((r) => r.out?.length)!;
    const reply = Buffer.from('HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=100\r\nEXT:\r\nLOCATION: http://10.10.10.6:80/description.xml\r\n'
      + 'SERVER: Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0\r\nST: upnp:rootdevice\r\nUSN: uuid:2f402f80-da50-11e1-9b23-0017882476ff::upnp:rootdevice\r\n\r\n');
    expect(parseFrame(ssdp, withPayload(notify.captured, reply))?.[0]).toMatchObject({
      device: { mac: '00:17:88:24:76:ff' },
      fields: { message_type: 'response', st: 'upnp:rootdevice', server: 'Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0', uuid: '2f402f80-da50-11e1-9b23-0017882476ff' },
    });
  });

  it('ssdp.hdr: every ST and USER-AGENT line tshark shows is ours', async () => {
    const lines = async (file: string) => new Set((await obs(file)).flatMap((o) => [
      o.fields.st === undefined ? '' : `ST: ${String(o.fields.st)}`,
      o.fields.user_agent === undefined ? '' : `USER-AGENT: ${String(o.fields.user_agent)}`,
    ]));
    // tshark keeps the raw line (`ST:urn...` and `ST: urn...` differ, `\r\n` kept): compare name and value.
    const r = await agreement('ssdp.hdr', lines, (s) => s.replace(/\\r\\n$/, '').replace(/^([^:]+):\s*/, (_, k: string) => `${k.toUpperCase()}: `));
    console.info(`ssdp.hdr ${r.matched.length}/${r.total}`);
    expect(r.missed).toEqual([]);
    expect(r.total).toBe(34);
  });

  it('rejects other traffic on port 1900 and never throws on truncated or corrupted packets', async () => {
    const frames = (await run('fingerprint/iot-sentinel/HueBridge__Setup-A-2-STA.pcap')).slice(0, 3).map((r) => r.captured);
    expect(parseFrame(ssdp, withPayload(frames[0], Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')))).toBeNull();
    expect(fuzz(ssdp, frames)).toBeGreaterThan(3000);
  });
});
