import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dhcpv6 } from './dhcpv6.js';
import { corpusDir, corpusPresent, fuzz, runCapture, shapeErrors, type Routed } from '../testing/udp-dissectors.js';

// No DHCPv6 in test-fixtures/: every test here reads the public corpus.
if (!corpusPresent) console.warn(`dhcpv6 tests skipped: ${corpusDir} not found (../shared sits beside the checkout)`);

describe.skipIf(!corpusPresent)('dhcpv6 on public captures', () => {
  const cache = new Map<string, Promise<Routed<'dhcpv6'>[]>>();
  const run = (file: string) => cache.get(file) ?? cache.set(file, runCapture(join(corpusDir, 'dhcp', file), dhcpv6)).get(file)!;
  const obs = async (file: string) => (await run(file)).flatMap((r) => r.out ?? []);

  it('a client message describes its sender: DUID-LLT with its MAC, option request order', async () => {
    const o = await obs('chrissanders__dhcp6_outlease_acquisition.pcapng');
    expect(shapeErrors(dhcpv6, o)).toEqual([]);
    expect(o[0]).toMatchObject({
      device: { mac: '00:0c:29:5e:77:44', ip: 'fe80::20c:29ff:fe5e:7744' },
      fields: { message_type: 'SOLICIT', duid_type: 'LLT', duid_mac: '00:0c:29:5e:77:44', option_request_list: '23,24,39,31' },
    });
  });

  it('a server ADVERTISE/REPLY: one observation of the server (its DUID), one of the client (addresses)', async () => {
    const o = (await obs('chrissanders__dhcp6_outlease_acquisition.pcapng')).filter((x) => x.fields.message_type === 'REPLY');
    expect(o[0]).toMatchObject({ device: { mac: '00:0c:29:1f:a7:55' }, fields: { duid_mac: '00:0c:29:1f:a7:55' } });
    expect(o[0].fields.assigned_ips).toBeUndefined();
    expect(o[1]).toMatchObject({
      device: { mac: '00:0c:29:5e:77:44' },
      fields: { duid_mac: '00:0c:29:5e:77:44', assigned_ips: ['2001:db8:1:2::1002'] },
    });
  });

  it('a relayed SOLICIT is about the relay peer, with vendor class, FQDN and MUD URL', async () => {
    const o = await obs('tcpdump__dhcpv6-mud.pcap');
    expect(o[0]).toEqual({
      device: { ip: 'fe80::ba27:ebff:feb8:53c8' },
      tsMs: o[0].tsMs,
      source: 'dhcpv6',
      fields: {
        message_type: 'SOLICIT', duid: '000100011e62770bb827ebb853c8', duid_type: 'LLT', duid_mac: 'b8:27:eb:b8:53:c8',
        vendor_enterprise: 40712, vendor_class: 'dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709',
        fqdn: 'raspberrypi', hostname: 'raspberrypi', option_request_list: '23,24,31,39,82,83',
        mud_url: 'https://mudctl.example.com/.well-known/mud/v1/rasbp101', relay_link_address: '2001:8a8:1006:3:225:84ff:fedb:2380',
      },
    });
  });

  it('DUID-EN, DUID-LL and DUID-UUID; vendor classes of PXE and DOCSIS clients', async () => {
    expect((await obs('pcpp__dhcpv6.pcap'))[0].fields).toMatchObject({
      duid_type: 'EN', duid_enterprise: 9, vendor_enterprise: 9, vendor_class: 'PXEClient:Arch:00009:UNDI:003010:PID:NCS-5508',
      option_request_list: '23,24,243,242,59,242,39',
    });
    expect((await obs('tcpdump__dhcpv6-vendor-specific-information.pcap'))[0].fields).toMatchObject({
      duid_type: 'LL', duid_mac: '54:d4:6f:fa:10:9a', vendor_enterprise: 4491, vendor_class: 'docsis3.0',
    });
    expect((await obs('tcpdump__dhcpv6-rfc6355-duid-uuid.pcap'))[0].fields).toMatchObject({ message_type: 'RENEW', duid_type: 'UUID' });
  });

  it('decodes every DHCPv6 packet of the corpus', async () => {
    const files = ['chrissanders__dhcp6_outlease_acquisition.pcapng', 'foxio__dhcpv6.pcap', 'pcpp__dhcpv6.pcap', 'tcpdump__dhcpv6-ia-na.pcap',
      'tcpdump__dhcpv6-mud.pcap', 'tcpdump__dhcpv6-rfc6355-duid-uuid.pcap', 'tcpdump__dhcpv6-vendor-specific-information.pcap',
      'tcpdump__dhcpv4v6-rfc5970-rfc8572.pcap'];
    const routed = (await Promise.all(files.map(run))).flat();
    expect(routed.length).toBeGreaterThan(30);
    expect(routed.filter((r) => r.out === null || r.out.length === 0)).toEqual([]);
  });

  it('never throws on truncated or corrupted packets', async () => {
    const frames = (await Promise.all(['tcpdump__dhcpv6-mud.pcap', 'chrissanders__dhcp6_outlease_acquisition.pcapng', 'pcpp__dhcpv6.pcap'].map(run)))
      .flat().map((r) => r.captured);
    expect(fuzz(dhcpv6, frames)).toBeGreaterThan(5000);
  });
});
