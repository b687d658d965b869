import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mdns, serviceTypeOf } from './mdns.js';
import { agreement, corpusDir, corpusPresent, fixturesDir, fuzz, runCapture, shapeErrors, type Routed } from '../testing/udp-dissectors.js';

const evidence = join(fixturesDir, 'evidence-mdns.pcap');
if (!existsSync(evidence)) console.warn(`mdns fixture tests skipped: ${evidence} not found`);
if (!corpusPresent) console.warn(`mdns corpus tests skipped: ${corpusDir} not found (../shared sits beside the checkout)`);

it('service types out of DNS-SD names', () => {
  expect(serviceTypeOf('_ipp._tcp.local')).toBe('_ipp._tcp');
  expect(serviceTypeOf('Philips hue - 2476FF._hap._tcp.local')).toBe('_hap._tcp');
  expect(serviceTypeOf('8fb207de._sub._apple-mobdev2._tcp.local')).toBe('_apple-mobdev2._tcp');
  expect(serviceTypeOf('Lucas-iMac.local')).toBeUndefined();
});

describe.skipIf(!existsSync(evidence))('mdns on test-fixtures/evidence-mdns.pcap (avahi)', async () => {
  const routed = existsSync(evidence) ? await runCapture(evidence, mdns) : [];
  const obs = routed.flatMap((r) => r.out ?? []);
  const last = (mac: string) => obs.filter((o) => o.device.mac === mac && o.fields.message_type === 'response' && o.fields.service_types).at(-1);

  it('the printer: host name, IPP and HTTP services, make and model TXT; other TXT keys dropped', () => {
    expect(shapeErrors(mdns, obs)).toEqual([]);
    expect(last('3c:52:82:1e:00:20')).toMatchObject({
      device: { ip: '10.30.0.20' },
      fields: {
        hostname: 'ward3-printer', service_instances: expect.arrayContaining(['Ward 3 Printer._ipp._tcp.local', 'Ward 3 Printer._http._tcp.local']),
        txt_hardware: ['ty=Example LaserJet 4000', 'product=(LaserJet 4000)'],
      },
    });
    // `note=Ward 3 nurses station`, `rp=`, `pdl=`, `path=`: free text or protocol details, never kept.
    expect(JSON.stringify(obs)).not.toMatch(/nurses station|pdl=|path=/);
  });

  it('the monitor: model from _device-info, vendor from its HTTP service TXT', () => {
    expect(last('00:09:fb:1e:00:31')?.fields).toMatchObject({
      hostname: 'mx800-icu3-bed07', service_types: expect.arrayContaining(['_http._tcp', '_device-info._tcp']),
      txt_hardware: expect.arrayContaining(['model=IntelliVue MX800', 'vendor=Philips']),
    });
  });

  it('probes claim the host name; the browser asks for service types', () => {
    expect(obs.find((o) => o.fields.message_type === 'probe')?.fields).toEqual({ message_type: 'probe', hostname: 'ward3-printer' });
    expect(obs).toContainEqual(expect.objectContaining({
      device: { ip: '10.30.0.50', mac: '00:1b:21:1e:00:50' },
      fields: { message_type: 'query', queried_service_types: ['_device-info._tcp', '_ipp._tcp', '_http._tcp'] },
    }));
  });

  it('never throws on truncated or corrupted packets', () => {
    expect(fuzz(mdns, routed.filter((r) => r.captured.bytes.length > 200).slice(0, 4).map((r) => r.captured))).toBeGreaterThan(3000);
  });
});

describe.skipIf(!corpusPresent)('mdns on public captures', () => {
  const cache = new Map<string, Promise<Routed<'mdns'>[]>>();
  const run = (file: string) => cache.get(file) ?? cache.set(file, runCapture(join(corpusDir, file), mdns)).get(file)!;
  const obs = async (file: string) => (await run(file)).flatMap((r) => r.out ?? []);

  it('a Hue bridge announces its host name, HomeKit service and model', async () => {
    const o = await obs('fingerprint/iot-sentinel/HueBridge__Setup-A-2-STA.pcap');
    expect(shapeErrors(mdns, o)).toEqual([]);
    expect(o).toContainEqual(expect.objectContaining({
      device: { ip: '10.10.10.6', mac: '00:17:88:24:76:ff' },
      fields: {
        message_type: 'response', hostname: 'Philips-hue', service_instances: ['Philips hue - 2476FF._hap._tcp.local'],
        service_types: ['_hap._tcp'], txt_hardware: ['md=BSB002', 'ci=2'],
      },
    }));
  });

  it('an iMac: model from _device-info, what an iPhone browses for', async () => {
    const o = await obs('mixed/ndpi__iphone.pcap');
    const imac = o.find((x) => x.fields.hostname === 'Lucas-iMac');
    expect(imac?.fields.txt_hardware).toEqual(['model=iMac11,3', 'osxvers=17']);
    expect(imac?.fields.service_types).toContain('_smb._tcp');
    expect(imac?.fields.service_types).toContain('_device-info._tcp');
    const browse = o.find((x) => x.device.mac === 'c4:61:8b:35:82:a9' && x.fields.message_type === 'query');
    expect(browse?.fields).toEqual({ message_type: 'query', queried_service_types: ['_homekit._tcp'] });
  });

  it("a query's known answers are not the sender's records", async () => {
    // markofu__evidence03.pcap frame 35: three PTR questions and a known answer for `_raop._tcp.local`.
    const r = (await run('mixed/markofu__evidence03.pcap')).find((x) => x.frame === 35);
    expect(r?.out?.[0].fields).toEqual({ message_type: 'query', queried_service_types: ['_appletv-itunes._tcp', '_touch-remote._tcp', '_raop._tcp'] });
  });

  it('a probe claims names: they describe the sender, its questions are not lookups', async () => {
    const probe = (await obs('fingerprint/iot-sentinel/HueBridge__Setup-A-2-STA.pcap')).find((x) => x.fields.message_type === 'probe');
    expect(probe?.fields.hostname).toBe('Philips-hue');
    expect(probe?.fields.queried_names).toBeUndefined();
  });

  it('mdns.name: every tshark name is ours or falls in an explained class', async () => {
    const ours = async (file: string) => {
      const names = new Set<string>();
      for (const o of await obs(file)) {
        const f = o.fields;
        for (const h of [f.hostname, ...(f.alt_hostnames ?? [])]) if (typeof h === 'string') names.add(`${h}.local`);
        for (const t of [...(f.service_types ?? []), ...(f.queried_service_types ?? [])]) names.add(`${t}.local`);
        // trim: EdimaxCam instance labels start with a blank (0x20) that identities.tsv trimmed.
        for (const n of [...(f.service_instances ?? []), ...(f.queried_names ?? [])]) names.add(n.trim());
      }
      return names;
    };
    const r = await agreement('mdns.name', ours);
    const classes: [string, (m: string) => boolean][] = [
      // The first fragment of a fragmented IPv6 packet is all the decoder gives us (no reassembly).
      ['ipv6 fragments', (m) => m.startsWith('medical/ws-discovery/pcpp__ip6_fragments.pcap: ')],
      // Reverse-mapping names (PTR owners in responses and probes): we keep the host name they point to.
      ['reverse owners', (m) => /\.(in-addr|ip6)\.arpa$/i.test(m)],
      // The DNS-SD enumeration meta-name as a record owner: we keep the service types it lists.
      ['_services owner', (m) => m.endsWith(': _services._dns-sd._udp.local')],
      // The root name owns the EDNS0 OPT pseudo-record: not a name.
      ['<Root>', (m) => m.endsWith(': <Root>')],
      // `_kerberos.<host>.local`: a TXT record (Apple's Kerberos realm), neither host nor service.
      ['_kerberos TXT owner', (m) => m.includes(': _kerberos.')],
    ];
    const classOf = (m: string) => classes.find(([, test]) => test(m))?.[0];
    const unexplained = r.missed.filter((m) => classOf(m) === undefined);
    const byClass = classes.map(([name]) => `${name} ${r.missed.filter((m) => classOf(m) === name).length}`);
    console.info(`mdns.name ${r.matched.length}/${r.total}; missed, by first matching class: ${byClass.join(', ')}`);
    expect(unexplained).toEqual([]);
    expect(r.matched.length).toBeGreaterThanOrEqual(118);
  });

  it('never throws on truncated or corrupted packets', async () => {
    const frames = (await run('mixed/ndpi__iphone.pcap')).slice(0, 6).map((r) => r.captured);
    expect(fuzz(mdns, frames)).toBeGreaterThan(5000);
  });
});
