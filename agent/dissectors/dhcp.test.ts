import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PacketView } from '../decode/packet-view.js';
import type { CapturedFrame } from '../testing/frames.js';
import { dhcp, type DhcpFields } from './dhcp.js';
import { agreement, corpusDir, corpusPresent, fixturesDir, fuzz, runCapture, shapeErrors, split, type Routed } from '../testing/udp-dissectors.js';

if (!corpusPresent) console.warn(`dhcp corpus tests skipped: ${corpusDir} not found (../shared sits beside the checkout)`);

const fields = (r: Routed<'dhcp'>[]) => r.flatMap((x) => x.out ?? []).map((o) => o.fields);

/** A copy of a real DHCP frame whose END option is replaced by `extra` options (written over padding). */
function withOptions(f: CapturedFrame, extra: number[]): Buffer {
  const v = new PacketView();
  v.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
  const b = Buffer.from(f.bytes);
  let o = v.payloadOff + 240;
  while (b[o] !== 255) o += b[o] === 0 ? 1 : 2 + b[o + 1];
  if (o + extra.length + 1 > v.payloadOff + v.payloadLen) throw new Error('not enough padding');
  Buffer.from([...extra, 255]).copy(b, o);
  return b;
}

describe('dhcp on test-fixtures/lan-dhcp.pcap (dnsmasq, dhclient, udhcpc, dhcpcd)', async () => {
  const routed = await runCapture(join(fixturesDir, 'lan-dhcp.pcap'), dhcp);
  const all = fields(routed);

  it('decodes every DHCP packet into well-formed observations about chaddr', () => {
    expect(routed.length).toBeGreaterThan(10);
    expect(routed.every((r) => r.out !== null && r.out.length === 1)).toBe(true);
    const obs = routed.flatMap((r) => r.out ?? []);
    expect(shapeErrors(dhcp, obs)).toEqual([]);
    for (const o of obs) expect(o.device).toEqual({ mac: o.fields.client_mac });
  });

  it('keeps each client fingerprint: host name, option 55 in order, vendor class, client id', () => {
    expect(all).toContainEqual(expect.objectContaining({ message_type: 'DISCOVER', hostname: 'ws-nurse-01', parameter_request_list: '1,28,3,15,6,12' }));
    expect(all).toContainEqual(expect.objectContaining({
      message_type: 'DISCOVER', client_mac: 'da:7e:3b:5c:21:02', vendor_class: 'udhcp 1.35.0', client_id: 'da:7e:3b:5c:21:02',
      max_message_size: 576, parameter_request_list: '1,3,6,12,15,28,42', hostname: 'visitor-laptop',
    }));
    expect(all).toContainEqual(expect.objectContaining({
      hostname: 'mx800-icu3-bed07', vendor_class: 'dhcpcd-9.4.1:Linux-6.18.44-fc-v669:x86_64:GenuineIntel',
      parameter_request_list: '1,3,6,15,28,33,42,51,58,59',
    }));
  });

  it('binds the assigned address in server ACKs and keeps no client fingerprint from server messages', () => {
    const acks = all.filter((f) => f.message_type === 'ACK');
    expect(acks).toContainEqual(expect.objectContaining({
      client_mac: '00:09:fb:0a:00:31', assigned_ip: '10.20.0.101', lease_seconds: 600, server_id: '10.20.0.10',
    }));
    for (const f of all.filter((x) => x.message_type === 'OFFER' || x.message_type === 'ACK')) {
      expect(f.parameter_request_list).toBeUndefined();
      expect(f.vendor_class).toBeUndefined();
    }
    expect(all).toContainEqual(expect.objectContaining({ message_type: 'RELEASE', client_ip: '10.20.0.101' }));
  });

  it('emits an address binding (for the inventory) for each ACK, none for the other messages', () => {
    for (const r of routed) {
      const [o] = r.out ?? [];
      const f = o.fields;
      if (f.message_type !== 'ACK') {
        expect(r.outputs).toEqual([]);
        continue;
      }
      expect(r.outputs).toEqual([{
        kind: 'address-binding', mac: f.client_mac, ip: f.assigned_ip ?? f.client_ip, protocol: 'dhcp', tsMs: o.tsMs,
        ...(f.lease_seconds !== undefined ? { leaseSeconds: f.lease_seconds } : {}),
      }]);
    }
    expect(routed.flatMap((r) => r.outputs)).toContainEqual({
      kind: 'address-binding', mac: '00:09:fb:0a:00:31', ip: '10.20.0.101', protocol: 'dhcp', leaseSeconds: 600,
      tsMs: expect.any(Number),
    });
  });

  it('decodes options 77 (text), 81, 93 and 161 patched into a real DISCOVER', () => {
    const frame = routed[0].captured;
    const txt = (s: string) => [...Buffer.from(s)];
    const b = withOptions(frame, [
      77, 4, ...txt('iPXE'),
      81, 12, 0x05, 0, 0, 2, ...txt('pc'), 4, ...txt('ward'), 0,
      93, 2, 0, 7,
      161, 8, ...txt('https://'),
    ]);
    const v = new PacketView();
    v.decode(b, 0, b.length, frame.wireLen, frame.tsMicros, frame.linkType);
    expect(split(dhcp.parse(v)).out?.[0].fields).toMatchObject({ user_class: 'iPXE', fqdn: 'pc.ward', client_arch: 'x64 UEFI', mud_url: 'https://' });
  });

  it('never throws on truncated or corrupted packets', () => {
    expect(fuzz(dhcp, routed.slice(0, 12).map((r) => r.captured))).toBeGreaterThan(10_000);
  });
});

describe.skipIf(!corpusPresent)('dhcp against tshark 4.0.17 (identities.tsv)', () => {
  const cache = new Map<string, Promise<Routed<'dhcp'>[]>>();
  const run = (file: string) => cache.get(file) ?? cache.set(file, runCapture(join(corpusDir, file), dhcp)).get(file)!;
  const values = (key: keyof DhcpFields) => async (file: string) =>
    new Set(fields(await run(file)).map((f) => f[key]).filter((x): x is string => typeof x === 'string'));

  it('dhcp.vendor_class: 31/32, the miss is a server echoing option 60', async () => {
    const r = await agreement('dhcp.vendor_class', values('vendor_class'));
    console.info(`dhcp.vendor_class ${r.matched.length}/${r.total}`);
    // zeek__dhcp.pcap frames 2 and 6 are the server's OFFER/ACK carrying `ArubaAP`: not the client's identity.
    expect(r.missed).toEqual(['dhcp/zeek__dhcp.pcap: ArubaAP']);
  });

  it('dhcp.hostname: 43/44, the miss is DHCP inside a CAPWAP tunnel', async () => {
    const r = await agreement('dhcp.hostname', values('hostname'));
    console.info(`dhcp.hostname ${r.matched.length}/${r.total}`);
    // ndpi__capwap.pcap carries the client's DHCP inside CAPWAP data (UDP 5247, 802.11 frames): not decapsulated.
    expect(r.missed).toEqual(['lldp_cdp/ndpi__capwap.pcap: kawai-iPad3']);
  });

  it('dhcp.prl(opt55): 62/63, same CAPWAP miss', async () => {
    const r = await agreement('dhcp.prl(opt55)', values('parameter_request_list'));
    console.info(`dhcp.prl(opt55) ${r.matched.length}/${r.total}`);
    expect(r.missed).toEqual(['lldp_cdp/ndpi__capwap.pcap: 1,3,6,15,119,252']);
  });

  it('relays, client ids, RFC 3004 user classes and MUD URLs', async () => {
    const mud = fields(await run('dhcp/tcpdump__dhcp-mud.pcap'));
    expect(mud).toContainEqual(expect.objectContaining({
      mud_url: 'https://mudctl.example.com/.well-known/mud/v1/rasbp101', relay_agent_ip: '62.12.173.121', hostname: 'raspberrypi',
    }));
    expect(fields(await run('dhcp/tcpdump__dhcp-rfc3004.pcap'))).toContainEqual(expect.objectContaining({ user_class: 'subopt1,subopt2-123456789,subopt3-12' }));
    expect(fields(await run('dhcp/zeek__hw-type0.pcap'))).toContainEqual(expect.objectContaining({ client_id: 'cisco-cc00.0ac4.0000-Fa0/0', hostname: 'R0' }));
    expect(fields(await run('netbios/markofu__honeynet_suspicious-time.pcap'))).toContainEqual(expect.objectContaining({ fqdn: '8fd12edd2dc1462' }));
  });

  it('never throws on the DHCP packets of the corpus, truncated or corrupted', async () => {
    const frames = (await Promise.all(['dhcp/tcpdump__dhcp-mud.pcap', 'dhcp/tcpdump__dhcp-rfc3004.pcap', 'dhcp/zeek__hw-type0.pcap'].map(run)))
      .flat().map((r) => r.captured);
    expect(fuzz(dhcp, frames)).toBeGreaterThan(1000);
  });
});
