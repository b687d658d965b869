import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapturedFrame } from '../testing/frames.js';
import { corpusDir, corpusPresent, fixturesDir, fuzz, parseFrame, runCapture, shapeErrors, withPayload, type Routed } from '../testing/udp-dissectors.js';
import type { Observation } from './types.js';
import { parseWsd, wsd } from './wsd.js';

/** Planted in wsd-sdc.pcap: a patient scope, a vendor scope with a URL-encoded name and birth date, a mangled patient scope. */
const PLANTED = ['DOE', 'JANE', 'MRN-4711', '19450317', 'sdc.ctxt.pat', 'sdc.ctxt.wfl', 'patient', '%5E', 'acme', 'bedside', 'ctxtpat'];
const out = (r: Routed<'wsd'>[]): Observation<'wsd'>[] => r.flatMap((x) => x.out ?? []);
const fields = (r: Routed<'wsd'>[]) => out(r).map((o) => o.fields);

const WSD09 = 'http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01';
const WSA10 = 'http://www.w3.org/2005/08/addressing';
const S12 = 'http://www.w3.org/2003/05/soap-envelope';
const MDPWS = 'http://standards.ieee.org/downloads/11073/11073-20702-2016';
const U1 = 'urn:uuid:00000000-0000-4000-8000-000000000001';
const U2 = 'urn:uuid:00000000-0000-4000-8000-000000000002';

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
    metadata_version: 3, dropped_scopes: 3, ...LOCATION,
  };

  it('decodes Hello, Probe, ProbeMatches, Resolve, ResolveMatches and Bye', () => {
    expect(routed.map((r) => r.out?.[0]?.fields.message)).toEqual(['Hello', 'Probe', 'ProbeMatches', 'Resolve', 'ResolveMatches', 'Bye']);
    expect(shapeErrors(wsd, out(routed))).toEqual([]);
  });

  it('the provider is an SDC medical device with its location; its patient, vendor and mangled scopes are dropped and counted', () => {
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
    const body = `<Hello xmlns="${WSD09}"><EndpointReference xmlns="${WSA10}"><Address>${U1}</Address></EndpointReference>`
      + `<Types xmlns:x="${MDPWS}" xmlns:y="http://example.org/other">x:MedicalDevice y:Gadget z:Unbound Plain</Types></Hello>`;
    expect(parseWsd(soap(body, `xmlns:s="${S12}" xmlns:a="${WSA10}"`))?.[0]).toMatchObject({
      message: 'Hello', endpoint_reference: U1, sdc: true, types: ['MedicalDevice', 'Gadget', 'Unbound', 'Plain'],
      types_qualified: [`{${MDPWS}}MedicalDevice`, '{http://example.org/other}Gadget', 'z:Unbound', `{${WSD09}}Plain`],
    });
  });

  it('reads SOAP 1.1 envelopes, comments, CDATA, entities and whitespace', () => {
    const xml = `<?xml version="1.0"?>\n<!-- a comment --><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:d="${WSD09}" xmlns:w="${WSA10}">`
      + `<S:Body>\n  <d:Hello>\n <w:EndpointReference><w:Address> <![CDATA[${U2}]]> </w:Address></w:EndpointReference>`
      + `<d:Scopes>sdc.ctxt.loc:/sdc.ctxt.loc.detail/y?fac=A%20B&amp;bed=B&#55;</d:Scopes><d:XAddrs><!-- none --></d:XAddrs>`
      + `<d:MetadataVersion>\n7\n</d:MetadataVersion></d:Hello></S:Body></S:Envelope>trailing junk`;
    expect(parseWsd(xml)?.[0]).toEqual({
      message: 'Hello', role: 'target', namespace_version: '2009', sdc: true, encrypted: false, endpoint_reference: U2,
      scopes: ['sdc.ctxt.loc:/sdc.ctxt.loc.detail/y?fac=A%20B&bed=B7'], location_facility: 'A B', location_bed: 'B7', metadata_version: 7,
    });
  });

  it('turns each match of a ProbeMatches into an observation, at most 8', () => {
    const uuid = (i: number) => `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const match = (i: number) => `<d:ProbeMatch><a:EndpointReference><a:Address>${uuid(i)}</a:Address></a:EndpointReference></d:ProbeMatch>`;
    const r = parseWsd(soap(`<d:ProbeMatches>${Array.from({ length: 20 }, (_, i) => match(i)).join('')}</d:ProbeMatches>`));
    expect(r?.map((f) => f.endpoint_reference)).toEqual(Array.from({ length: 8 }, (_, i) => uuid(i)));
  });

  it('keeps only the scope forms of IEEE 11073-20701 9.2-9.4 and ONVIF, and drops and counts every other', () => {
    const keep = [
      'sdc.mds.pkp:1.2.840.10004.20701.1.1', 'SDC.MDS.PKP:1.2.840.10004.20701.1.1',
      'sdc.cdc.type:///130536', 'sdc.cdc.type:/urn:oid:1.3.6.1.4.1.3592.2.1.1.0//DN_VMD', 'sdc.cdc.type:/http%3A%2F%2Fa-codingsystem/a-version/a-code',
      'sdc.ctxt.loc:/sdc.ctxt.loc.detail/HOSP1%2F%2F%2FICU3%2F%2FBed42?fac=HOSP1&poc=ICU3&bed=Bed42',
      'sdc.ctxt.loc:/http%3A%2F%2Fhospital.example%2Flocations/ICU3-12', 'sdc.ctxt.loc:/biceps.uri.unk/',
      'onvif://www.onvif.org/type/video_encoder', 'onvif://www.onvif.org/hardware/DS-2CD2032-I', 'onvif://www.onvif.org/Profile/Streaming',
    ];
    const drop = [
      // The context scopes of 9.4 other than location: patient, workflow, operator, ensemble, means.
      'sdc.ctxt.pat:/urn%3Aoid%3A1.2.840.99999.1/MRN-4711-PLANTED', 'SDC.CTXT.PAT:/x/MRN-4711-PLANTED', 'sdc.ctxt.wfl:/1.2.3/MRN-4711-PLANTED',
      'sdc.ctxt.opr:/x/nurse-DOE', 'sdc.ctxt.ens:/x/y', 'sdc.ctxt.mns:/x/y',
      // Vendor scopes, whatever they look like; a URL-encoded name and birth date.
      'urn:x-acme:bedside-context:detail/DOE%5EJANE%2F19450317', 'http://example.org/printers/ward3', 'urn:x:pat%3A19450317',
      // Fuzz-mangled SDC prefixes and syntax.
      'sdc.ctxtpat:/x/DOE%5EJANE', 'sdc.ctxt.loc/x/y', 'sdc.ctxt.locx:/x/y', 'sdc.ctxt.loc:x/y', 'sdc.ctxt.loc:/a/b/c',
      'sdc.mds.pkp:1.2.840.10004.20701.1.1x', 'sdc.mds.pkp:', 'sdc.cdc.type:/a/b', 'sdc.cdc.type:///DOE%5EJANE',
      // A location with a parameter 9.4.1.2 does not define, or a value of the wrong shape.
      'sdc.ctxt.loc:/sdc.ctxt.loc.detail/R12?rm=R12&pat=DOE%5EJANE', 'sdc.ctxt.loc:/sdc.ctxt.loc.detail/R12?bld=A',
      'sdc.ctxt.loc:/sdc.ctxt.loc.detail/x?bed=DOE%5EJANE', 'sdc.ctxt.loc:/sdc.ctxt.loc.detail/DOE%5EJANE', 'sdc.ctxt.loc:/sdc.ctxt.loc.detail/x?rm=%E0%A4',
      'sdc.ctxt.loc:/sdc.ctxt.loc.detail/x?rm=', 'sdc.ctxt.loc:/sdc.ctxt.loc.detail/x?rm=a%0Ab',
      // ONVIF's user-set name and location, and anything not a URI.
      'onvif://www.onvif.org/name/DOE%5EJANE', 'onvif://www.onvif.org/location/ward3', 'DOE^JANE', 'sdc.mds.pkp:1.2.3\u0000',
    ];
    const hello = (scopes: string[]) => parseWsd(soap(`<d:Hello><d:Scopes>${scopes.map((s) => s.replace(/&/g, '&amp;')).join(' ')}</d:Scopes></d:Hello>`))![0];
    const kept = hello([...keep, ...drop.slice(0, 10)]);
    expect(kept.scopes).toEqual(keep);
    expect(kept).toMatchObject({ dropped_scopes: 10, location_facility: 'HOSP1', location_point_of_care: 'ICU3', location_bed: 'Bed42', sdc: true });
    const none = hello(drop);
    expect(none.scopes).toBeUndefined();
    expect(none).toMatchObject({ dropped_scopes: drop.length, sdc: false });
    const json = JSON.stringify([kept, none]);
    for (const p of [...PLANTED, 'acme', 'DOE%5E', 'ward3', 'ctxtpat']) expect(json).not.toContain(p);
  });

  it('reads the LocationDetail only from a location scope kept whole, the first one that has it', () => {
    const scopes = ['sdc.ctxt.loc:/sdc.ctxt.loc.detail/x?rm=R1&pat=DOE', 'sdc.ctxt.loc:/biceps.uri.unk/', 'sdc.ctxt.loc:/sdc.ctxt.loc.detail/R2?rm=R2&rm=R3&bed=B%C3%9C7',
      'sdc.ctxt.loc:/sdc.ctxt.loc.detail/R4?rm=R4'];
    const r = parseWsd(soap(`<d:Hello><d:Scopes>${scopes.join(' ').replace(/&/g, '&amp;')}</d:Scopes></d:Hello>`))![0];
    expect(r).toMatchObject({ location_room: 'R2', location_bed: 'BÜ7', dropped_scopes: 1 });
    expect(r.location_facility).toBeUndefined();
  });

  it('keeps an endpoint reference only as a UUID URN, transport addresses only as plain URLs, types only as XML names', () => {
    const epr = (a: string) => `<a:EndpointReference><a:Address>${a}</a:Address></a:EndpointReference>`;
    const hello = (a: string, xaddrs: string, types = 'd:Device') =>
      parseWsd(soap(`<d:Hello>${epr(a)}<d:Types>${types}</d:Types><d:XAddrs>${xaddrs}</d:XAddrs></d:Hello>`))![0];
    const uuid = 'urn:uuid:6b1a3b2e-5f4c-4e0a-9d2b-3c9e7a1f0d61';
    expect(hello(uuid, 'https://10.40.0.61:6464/sdc/ http://[fe80::1]:5357/x soap.udp://host.example:3702')).toMatchObject({
      endpoint_reference: uuid, xaddrs: ['https://10.40.0.61:6464/sdc/', 'http://[fe80::1]:5357/x', 'soap.udp://host.example:3702'], types: ['Device'],
    });
    expect(hello('uuid:6B1A3B2E-5F4C-4E0A-9D2B-3C9E7A1F0D61', '').endpoint_reference).toBe('uuid:6B1A3B2E-5F4C-4E0A-9D2B-3C9E7A1F0D61');
    for (const bad of ['urn:x-acme:bed7:DOE%5EJANE', 'DOE^JANE', 'urn:uuid:1', `${uuid}\u0001`, 'http://10.0.0.1/DOE']) {
      expect(hello(bad, '').endpoint_reference, bad).toBeUndefined();
    }
    const r = hello(uuid, 'http://10.0.0.1/DOE%5EJANE http://10.0.0.1/a?pat=1 ftp://10.0.0.1/ http://10.0.0.1:8080/ok', 'd:Device d:DOE^JANE');
    expect(r).toMatchObject({ xaddrs: ['http://10.0.0.1:8080/ok'], types: ['Device'] });
    expect(JSON.stringify(r)).not.toContain('JANE');
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
    expect(r.xaddrs).toBeUndefined(); // longer than 256 characters: dropped, not cut
    expect(parseWsd(soap(`<d:Hello><d:XAddrs>http://10.0.0.1/${'x'.repeat(200)}</d:XAddrs></d:Hello>`))![0].xaddrs![0]).toHaveLength(216);
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
