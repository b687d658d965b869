import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapturedFrame } from '../testing/frames.js';
import { corpusDir, corpusPresent, fixturesDir, fuzz, parseFrame, runCapture, shapeErrors, withPayload, type Routed } from '../testing/udp-dissectors.js';
import type { Observation } from './types.js';
import { parseWsd, wsd } from './wsd.js';

const PLANTED = ['DOE', 'JANE', 'MRN-4711', '19450317', 'sdc.ctxt.pat', 'sdc.ctxt.wfl', 'patient'];
const out = (r: Routed[]): Observation[] => r.flatMap((x) => x.out ?? []);
const fields = (r: Routed[]) => out(r).map((o) => o.fields);

const WSD09 = 'http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01';
const WSA10 = 'http://www.w3.org/2005/08/addressing';
const S12 = 'http://www.w3.org/2003/05/soap-envelope';
const MDPWS = 'http://standards.ieee.org/downloads/11073/11073-20702-2016';

/** A 2009 message whose Body is `body`, the namespaces of `decls` on the Envelope. */
function soap(body: string, decls = `xmlns:s="${S12}" xmlns:a="${WSA10}" xmlns:d="${WSD09}"`): string {
  return `<s:Envelope ${decls}><s:Header><a:Action>${WSD09}/Hello</a:Action></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

describe('wsd on test-fixtures/wsd-wsdd.pcap (wsdd 0.7: 2005 namespace, host and --discovery client)', async () => {
  const routed = await runCapture(join(fixturesDir, 'wsd-wsdd.pcap'), wsd);
  const all = fields(routed);
  const PACS = { ip: '10.40.0.10', mac: '44:4b:5d:2e:00:10' };
  const WS = { ip: '10.40.0.50', mac: '00:1b:21:2e:00:50' };
  const EPR = 'urn:uuid:0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b';

  it('decodes every packet into well-formed observations about its sender', () => {
    expect(routed.length).toBeGreaterThanOrEqual(6); // 20 in the committed recording: wsdd repeats multicast messages
    expect(routed.every((r) => r.out?.length === 1)).toBe(true);
    expect(shapeErrors(wsd, out(routed))).toEqual([]);
    for (const o of out(routed)) expect(o.device).toEqual(o.fields.role === 'client' ? WS : PACS);
    expect(new Set(all.map((f) => f.message))).toEqual(new Set(['Hello', 'Probe', 'ProbeMatches', 'Resolve', 'ResolveMatches', 'Bye']));
  });

  it('the host announces and describes itself: endpoint UUID, Device and Computer types, XAddrs', () => {
    expect(all).toContainEqual({
      message: 'Hello', role: 'target', namespace_version: '2005', sdc: false, encrypted: false, endpoint_reference: EPR,
      xaddrs: [`http://10.40.0.10:5357/${EPR.slice(9)}`], metadata_version: 1,
    });
    expect(all).toContainEqual({
      message: 'ResolveMatches', role: 'target', namespace_version: '2005', sdc: false, encrypted: false, endpoint_reference: EPR,
      types: ['Device', 'Computer'],
      types_qualified: ['{http://schemas.xmlsoap.org/ws/2006/02/devprof}Device', '{http://schemas.microsoft.com/windows/pub/2005/07}Computer'],
      xaddrs: [`http://10.40.0.10:5357/${EPR.slice(9)}`], metadata_version: 1,
    });
    expect(all).toContainEqual(expect.objectContaining({ message: 'Bye', endpoint_reference: EPR }));
  });

  it('the client is described by what it searches for and resolves', () => {
    expect(all).toContainEqual({ message: 'Probe', role: 'client', namespace_version: '2005', sdc: false, encrypted: false, searched_types: ['Device'] });
    expect(all).toContainEqual({ message: 'Resolve', role: 'client', namespace_version: '2005', sdc: false, encrypted: false, resolve_target: EPR });
    for (const f of all.filter((x) => x.role === 'client')) expect(f.endpoint_reference).toBeUndefined();
  });

  it('never throws on truncated or corrupted copies of its packets', () => {
    expect(fuzz(wsd, routed.filter((r) => r.frame <= 8).map((r) => r.captured))).toBeGreaterThan(20000);
  });
});

describe('wsd on test-fixtures/wsd-sdc.pcap (IEEE 11073 SDC discovery, WS-Discovery 1.1)', async () => {
  const routed = await runCapture(join(fixturesDir, 'wsd-sdc.pcap'), wsd);
  const all = fields(routed);
  const VENT = { ip: '10.40.0.61', mac: '00:30:e6:2e:00:61' };
  const EPR = 'urn:uuid:6b1a3b2e-5f4c-4e0a-9d2b-3c9e7a1f0d61';
  const LOCATION = {
    location_facility: 'HOSP1', location_building: 'BLDG-A', location_floor: '3', location_point_of_care: 'ICU3',
    location_room: 'R12', location_bed: 'BED7',
  };
  const described = {
    role: 'target', namespace_version: '2009', sdc: true, encrypted: false, endpoint_reference: EPR,
    types: ['Device', 'MedicalDevice'], types_qualified: ['{http://docs.oasis-open.org/ws-dd/ns/dpws/2009/01}Device', `{${MDPWS}}MedicalDevice`],
    xaddrs: ['https://10.40.0.61:6464/sdc/'],
    scopes: ['sdc.mds.pkp:1.2.840.10004.20701.1.1', 'sdc.ctxt.loc:/sdc.ctxt.loc.detail/HOSP1%2FBLDG-A%2F3%2FICU3%2FR12%2FBED7?fac=HOSP1&bldng=BLDG-A&flr=3&poc=ICU3&rm=R12&bed=BED7'],
    metadata_version: 3, context_scopes_dropped: 3, ...LOCATION,
  };

  it('decodes Hello, Probe, ProbeMatches, Resolve, ResolveMatches and Bye', () => {
    expect(routed.map((r) => r.out?.[0]?.fields.message)).toEqual(['Hello', 'Probe', 'ProbeMatches', 'Resolve', 'ResolveMatches', 'Bye']);
    expect(shapeErrors(wsd, out(routed))).toEqual([]);
  });

  it('the provider is an SDC medical device with its location; its patient and workflow scopes are dropped', () => {
    for (const message of ['Hello', 'ProbeMatches', 'ResolveMatches']) {
      const o = out(routed).find((x) => x.fields.message === message)!;
      expect(o.device).toEqual(VENT);
      expect(o.fields).toEqual({ message, ...described });
    }
    expect(all.find((f) => f.message === 'Bye')).toEqual({
      message: 'Bye', role: 'target', namespace_version: '2009', sdc: false, encrypted: false, endpoint_reference: EPR,
    });
  });

  it('the consumer (default namespaces, other prefixes) searches for MedicalDevice', () => {
    expect(all).toContainEqual({
      message: 'Probe', role: 'client', namespace_version: '2009', sdc: true, encrypted: false,
      searched_types: ['MedicalDevice'], searched_scopes: ['sdc.mds.pkp:1.2.840.10004.20701.1.1'],
    });
    expect(all).toContainEqual(expect.objectContaining({ message: 'Resolve', resolve_target: EPR }));
  });

  it('keeps none of the planted patient data', () => {
    const json = JSON.stringify(out(routed));
    for (const p of PLANTED) expect(json).not.toContain(p);
  });

  it('never throws on truncated or corrupted copies of its packets', () => {
    expect(fuzz(wsd, routed.slice(0, 3).map((r) => r.captured))).toBeGreaterThan(15000);
  });
});

describe('wsd: tolerant SOAP scanning', () => {
  it('resolves prefixes wherever they are declared, and default namespaces (an unprefixed QName takes the default)', () => {
    const body = `<Hello xmlns="${WSD09}"><EndpointReference xmlns="${WSA10}"><Address>urn:uuid:1</Address></EndpointReference>`
      + `<Types xmlns:x="${MDPWS}" xmlns:y="http://example.org/other">x:MedicalDevice y:Gadget z:Unbound Plain</Types></Hello>`;
    expect(parseWsd(soap(body, `xmlns:s="${S12}" xmlns:a="${WSA10}"`))?.[0]).toMatchObject({
      message: 'Hello', endpoint_reference: 'urn:uuid:1', sdc: true, types: ['MedicalDevice', 'Gadget', 'Unbound', 'Plain'],
      types_qualified: [`{${MDPWS}}MedicalDevice`, '{http://example.org/other}Gadget', 'z:Unbound', `{${WSD09}}Plain`],
    });
  });

  it('reads SOAP 1.1 envelopes, comments, CDATA, entities and whitespace', () => {
    const xml = `<?xml version="1.0"?>\n<!-- a comment --><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:d="${WSD09}" xmlns:w="${WSA10}">`
      + `<S:Body>\n  <d:Hello>\n <w:EndpointReference><w:Address> <![CDATA[urn:uuid:2]]> </w:Address></w:EndpointReference>`
      + `<d:Scopes>sdc.ctxt.loc:/x/y?fac=A%20B&amp;bed=B&#55;</d:Scopes><d:XAddrs><!-- none --></d:XAddrs>`
      + `<d:MetadataVersion>\n7\n</d:MetadataVersion></d:Hello></S:Body></S:Envelope>trailing junk`;
    expect(parseWsd(xml)?.[0]).toEqual({
      message: 'Hello', role: 'target', namespace_version: '2009', sdc: true, encrypted: false, endpoint_reference: 'urn:uuid:2',
      scopes: ['sdc.ctxt.loc:/x/y?fac=A%20B&bed=B7'], location_facility: 'A B', location_bed: 'B7', metadata_version: 7,
    });
  });

  it('turns each match of a ProbeMatches into an observation, at most 8', () => {
    const match = (i: number) => `<d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:${i}</a:Address></a:EndpointReference></d:ProbeMatch>`;
    const r = parseWsd(soap(`<d:ProbeMatches>${Array.from({ length: 20 }, (_, i) => match(i)).join('')}</d:ProbeMatches>`));
    expect(r?.map((f) => f.endpoint_reference)).toEqual(Array.from({ length: 8 }, (_, i) => `urn:uuid:${i}`));
  });

  it('drops every scope that names a patient, an order or a person, in any spelling', () => {
    const scopes = ['SDC.CTXT.PAT:/x/MRN-4711-PLANTED', 'sdc.ctxt.opr:/x/nurse-DOE', 'sdc.ctxt.ens:/x/y', 'sdc.ctxt.mns:/x/y',
      'http://example.org/patient/MRN-4711-PLANTED', 'urn:x:pat%3A19450317', 'http://example.org/printers/ward3'];
    const r = parseWsd(soap(`<d:Hello><d:Scopes>${scopes.join(' ')}</d:Scopes></d:Hello>`))!;
    expect(r[0].scopes).toEqual(['http://example.org/printers/ward3']);
    expect(r[0].context_scopes_dropped).toBe(6);
    const json = JSON.stringify(r);
    for (const p of PLANTED) expect(json).not.toContain(p);
  });

  it('says "not mine" to other XML, other namespaces and non-XML', () => {
    expect(parseWsd(`<s:Envelope xmlns:s="${S12}" xmlns:x="http://example.org/x"><s:Body><x:Hello/></s:Body></s:Envelope>`)).toBeNull();
    expect(parseWsd(soap('<d:Goodbye/>'))).toBeNull();
    expect(parseWsd('<root><child/></root>')).toBeNull();
    expect(parseWsd('M-SEARCH * HTTP/1.1\r\n')).toBeNull();
    expect(parseWsd('')).toBeNull();
  });

  it('returns null on malformed XML: truncation, mismatched tags, DOCTYPE, unterminated constructs', () => {
    const good = soap('<d:Hello><a:EndpointReference><a:Address>urn:uuid:3</a:Address></a:EndpointReference></d:Hello>');
    expect(parseWsd(good)).not.toBeNull();
    for (let cut = 0; cut < good.length; cut++) expect(parseWsd(good.slice(0, cut))).toBeNull();
    expect(parseWsd(good.replace('</a:Address>', '</a:Adress>'))).toBeNull();
    expect(parseWsd(`<!DOCTYPE s:Envelope [<!ENTITY a "aaaa">]>${good}`)).toBeNull();
    expect(parseWsd(good.replace('<s:Body>', '<s:Body><!-- open'))).toBeNull();
    expect(parseWsd(good.replace('<s:Body>', '<s:Body><![CDATA[ open'))).toBeNull();
    expect(parseWsd(good.replace('<d:Hello>', '<d:Hello attr="unterminated>'))).toBeNull();
    expect(parseWsd(`${good}<s:Envelope/>`)).not.toBeNull(); // bytes after the root element are ignored
  });

  it('bounds deep nesting, element floods and huge messages', () => {
    const deep = soap(`<d:Hello>${'<d:x>'.repeat(100000)}${'</d:x>'.repeat(100000)}</d:Hello>`);
    const flood = soap(`<d:Hello>${'<d:x/>'.repeat(100000)}</d:Hello>`);
    const t0 = performance.now();
    expect(parseWsd(deep)).toBeNull();
    expect(parseWsd(flood)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('keeps lists and values bounded', () => {
    const types = Array.from({ length: 500 }, (_, i) => `d:T${i}`).join(' ');
    const r = parseWsd(soap(`<d:Hello><d:Types>${types}</d:Types><d:XAddrs>http://${'x'.repeat(5000)}</d:XAddrs></d:Hello>`))![0];
    expect(r.types).toHaveLength(32);
    expect(r.xaddrs![0]).toHaveLength(256);
  });
});

describe.skipIf(!corpusPresent)('wsd on the public WS-Discovery captures (../shared/corpus/medical/ws-discovery)', () => {
  if (!corpusPresent) console.warn(`wsd corpus tests skipped: ${corpusDir} not found (../shared sits beside the checkout)`);
  const dir = join(corpusDir, 'medical', 'ws-discovery');

  it('ndpi__gnutella.pcap: a Windows host\'s Hello, Probe and Bye over IPv4 and IPv6 (2005 namespace)', async () => {
    const routed = await runCapture(join(dir, 'ndpi__gnutella.pcap'), wsd);
    expect(routed).toHaveLength(41);
    expect(routed.every((r) => r.out?.length === 1)).toBe(true);
    const all = fields(routed);
    expect(shapeErrors(wsd, out(routed))).toEqual([]);
    expect(all).toContainEqual(expect.objectContaining({
      message: 'Hello', namespace_version: '2005', endpoint_reference: 'urn:uuid:747f3d96-68a7-43f1-8cbe-e8d6dadd0358',
      types: ['Device', 'Computer'], xaddrs: ['http://10.0.2.15:5357/747f3d96-68a7-43f1-8cbe-e8d6dadd0358/'],
    }));
    expect(all).toContainEqual(expect.objectContaining({ message: 'Probe', role: 'client', searched_types: ['Device'] }));
    expect(all).toContainEqual(expect.objectContaining({ message: 'Bye', endpoint_reference: 'urn:uuid:747f3d96-68a7-43f1-8cbe-e8d6dadd0358' }));
    expect(out(routed).find((o) => o.fields.message === 'Hello' && o.device.ip === '10.0.2.15')?.device.mac).toBe('08:00:27:e6:e5:59');
  });

  it('ndpi__upnp.pcap: Resolve over IPv4 and IPv6', async () => {
    const routed = await runCapture(join(dir, 'ndpi__upnp.pcap'), wsd);
    expect(routed).toHaveLength(14);
    const obs = out(routed);
    expect(obs).toHaveLength(14);
    expect(new Set(obs.map((o) => o.device.ip))).toEqual(new Set(['192.168.61.66', 'fe80::3441:3d24:6d30:a807']));
    for (const o of obs) {
      expect(o.fields).toEqual({
        message: 'Resolve', role: 'client', namespace_version: '2005', sdc: false, encrypted: false,
        resolve_target: 'urn:uuid:e3248000-80ce-11db-8000-001ba99ec956',
      });
    }
  });

  it('pcpp__ip6_fragments.pcap: WS-Discovery cut into IPv6 fragments is not reassembled; first fragments give null', async () => {
    // auscult does not reassemble IP fragments: the first fragment holds a truncated SOAP message.
    const routed = await runCapture(join(dir, 'pcpp__ip6_fragments.pcap'), wsd);
    expect(routed.length).toBeGreaterThan(0);
    expect(routed.every((r) => r.out === null)).toBe(true);
    expect(fuzz(wsd, routed.map((r) => r.captured))).toBeGreaterThan(1000);
  });

  it('a hand-built SDC Hello in a real frame is keyed on that frame\'s sender', async () => {
    const f: CapturedFrame = (await runCapture(join(dir, 'ndpi__upnp.pcap'), wsd))[1].captured;
    const hello = soap(`<d:Hello><a:EndpointReference><a:Address>urn:uuid:9</a:Address></a:EndpointReference><d:Types xmlns:m="${MDPWS}">m:MedicalDevice</d:Types></d:Hello>`);
    expect(parseFrame(wsd, withPayload(f, Buffer.from(hello)))?.[0]).toMatchObject({
      device: { ip: '192.168.61.66' }, source: 'wsd', fields: { message: 'Hello', sdc: true, types: ['MedicalDevice'] },
    });
    expect(parseFrame(wsd, withPayload(f, Buffer.from('not xml at all, just some bytes on port 3702')))).toBeNull();
  });
});
