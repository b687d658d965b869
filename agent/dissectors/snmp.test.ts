import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LinkType } from '../capture/types.js';
import { DecodeStatus, IpProto, PacketView } from '../decode/packet-view.js';
import { loadFrames, type CapturedFrame } from '../testing/frames.js';
import { newTlv, readTag, readTlv } from './ber.js';
import { snmp, type SnmpFields } from './snmp.js';
import type { Observation } from './types.js';
import { split } from '../testing/udp-dissectors.js';

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const haveCorpus = existsSync(corpus);
if (!haveCorpus) console.warn(`snmp.test: ${corpus} is absent, corpus tests skipped (only constructed messages are tested)`);

/** Decode a frame and run the dissector when it is UDP to or from 161/162 (as the pipeline routes it). */
function parseFrame(v: PacketView, f: CapturedFrame, bytes = f.bytes): Observation<'snmp'>[] | null | 'skip' {
  const status = v.decode(bytes, 0, bytes.length, f.wireLen, f.tsMicros, f.linkType);
  if (status !== DecodeStatus.OK || v.l4Proto !== IpProto.UDP || v.payloadLen === 0) return 'skip';
  if (![161, 162].includes(v.srcPort) && ![161, 162].includes(v.dstPort)) return 'skip';
  return split(snmp.parse(v)).out;
}

async function snmpFrames(path: string): Promise<CapturedFrame[]> {
  const v = new PacketView();
  return (await loadFrames(path)).filter((f) => parseFrame(v, f) !== 'skip');
}

// --- A small BER encoder for constructed messages ------------------------------------------------
function ber(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 128 ? Buffer.from([n]) : n < 256 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const int = (n: number) => {
  const out = [n & 0xff];
  for (let x = Math.floor(n / 256); x !== 0 && x !== -1; x = Math.floor(x / 256)) out.unshift(x & 0xff);
  if (n >= 0 && out[0] & 0x80) out.unshift(0);
  return ber(0x02, Buffer.from(out));
};
const oct = (s: string | Buffer) => ber(0x04, Buffer.from(s));
const nul = () => ber(0x05);
function oid(text: string): Buffer {
  const arcs = text.split('.').map(Number);
  const out: number[] = [];
  for (const a of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const sub = [a & 0x7f];
    for (let x = a >>> 7; x > 0; x >>>= 7) sub.unshift(0x80 | (x & 0x7f));
    out.push(...sub);
  }
  return ber(0x06, Buffer.from(out));
}
const seq = (...parts: Buffer[]) => ber(0x30, ...parts);
const varbinds = (...pairs: [string, Buffer][]) => seq(...pairs.map(([name, value]) => seq(oid(name), value)));
const community = (version: number, secret: string, pdu: Buffer) => seq(int(version), oct(secret), pdu);
const pdu = (tag: number, vbs: Buffer, requestId = 7) => ber(tag, int(requestId), int(0), int(0), vbs);

/** Ethernet + IPv4 + UDP around a payload (checksums left zero). */
function udpFrame(payload: Buffer, sport: number, dport: number, src = '10.0.0.5', dst = '10.0.0.9',
  srcMac = '00:11:22:33:44:55', dstMac = '00:aa:bb:cc:dd:ee'): CapturedFrame {
  const eth = Buffer.concat([Buffer.from(dstMac.replace(/:/g, ''), 'hex'), Buffer.from(srcMac.replace(/:/g, ''), 'hex'), Buffer.from([0x08, 0x00])]);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  Buffer.from(src.split('.').map(Number)).copy(ip, 12);
  Buffer.from(dst.split('.').map(Number)).copy(ip, 16);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const bytes = Buffer.concat([eth, ip, udp, payload]);
  return { bytes, wireLen: bytes.length, tsMicros: 1_700_000_000_000_000, linkType: LinkType.ETHERNET };
}

const SECRET = 'hunter2-community';
const SYS = '1.3.6.1.2.1.1';

function agentResponse(): CapturedFrame {
  return udpFrame(community(1, SECRET, pdu(0xa2, varbinds(
    [`${SYS}.1.0`, oct('Acme Infusion Gateway 4.1\r\nbuild 77')],
    [`${SYS}.2.0`, oid('1.3.6.1.4.1.99999.1.2')],
    [`${SYS}.3.0`, ber(0x43, Buffer.from([1, 2, 3]))],
    [`${SYS}.4.0`, oct('biomed@hospital.example')],
    [`${SYS}.5.0`, oct('gw-icu-3\0')],
    [`${SYS}.6.0`, oct('')],
    ['1.3.6.1.2.1.2.2.1.2.1', oct('eth0')],
  ))), 161, 40000);
}

const fieldsOf = (out: ReturnType<typeof parseFrame>) => (out as Observation<'snmp'>[])[0].fields as unknown as SnmpFields;

describe('SNMP on constructed messages', () => {
  it('reads the sys scalars of a v2c response; the community is nowhere in the observation', () => {
    const out = parseFrame(new PacketView(), agentResponse());
    expect(out).toEqual([{
      device: { ip: '10.0.0.5', mac: '00:11:22:33:44:55' },
      tsMs: 1_700_000_000_000,
      source: 'snmp',
      fields: {
        version: 'v2c', community_seen: true, role: 'agent', pdu_type: 'response',
        sys_descr: 'Acme Infusion Gateway 4.1\r\nbuild 77', sys_object_id: '1.3.6.1.4.1.99999.1.2',
        sys_contact: 'biomed@hospital.example', sys_name: 'gw-icu-3', hostname: 'gw-icu-3',
      } satisfies SnmpFields,
    }]);
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it('a request marks a manager and lists at most 16 OIDs; a set keeps no values', () => {
    const names = Array.from({ length: 20 }, (_, i) => `1.3.6.1.2.1.2.2.1.10.${i + 1}`);
    const get = parseFrame(new PacketView(), udpFrame(community(0, SECRET, pdu(0xa0, varbinds(...names.map((n): [string, Buffer] => [n, nul()])))), 40000, 161));
    expect(fieldsOf(get)).toEqual({ version: 'v1', community_seen: true, role: 'manager', pdu_type: 'get', requested_oids: names.slice(0, 16) });
    const set = parseFrame(new PacketView(), udpFrame(community(1, SECRET, pdu(0xa3, varbinds([`${SYS}.5.0`, oct('new-secret-name')]))), 40000, 161));
    expect(fieldsOf(set)).toEqual({ version: 'v2c', community_seen: true, role: 'manager', pdu_type: 'set', requested_oids: [`${SYS}.5.0`] });
    expect(JSON.stringify(set)).not.toContain('new-secret-name');
  });

  it('reads v1 traps (enterprise, agent address, generic/specific) and v2 traps (snmpTrapOID.0)', () => {
    const v1 = community(0, SECRET, ber(0xa4, oid('1.3.6.1.4.1.9.1.516'), ber(0x40, Buffer.from([10, 1, 30, 1])), int(6), int(42), ber(0x43, Buffer.from([0x10])),
      varbinds([`${SYS}.5.0`, oct('sw-2')])));
    expect(fieldsOf(parseFrame(new PacketView(), udpFrame(v1, 40001, 162)))).toEqual({
      version: 'v1', community_seen: true, role: 'agent', pdu_type: 'trap', trap_enterprise: '1.3.6.1.4.1.9.1.516',
      trap_agent_addr: '10.1.30.1', trap_generic: 'enterpriseSpecific', trap_specific: 42, sys_name: 'sw-2', hostname: 'sw-2',
    });
    const v2 = community(1, SECRET, pdu(0xa7, varbinds([`${SYS}.3.0`, ber(0x43, Buffer.from([5]))], ['1.3.6.1.6.3.1.1.4.1.0', oid('1.3.6.1.6.3.1.1.5.3')])));
    expect(fieldsOf(parseFrame(new PacketView(), udpFrame(v2, 40001, 162)))).toMatchObject({ role: 'agent', pdu_type: 'snmpv2-trap', trap_oid: '1.3.6.1.6.3.1.1.5.3' });
  });

  it('an error response echoes the request: its values are not the agent\'s', () => {
    const failedSet = community(1, SECRET, ber(0xa2, int(7), int(17), int(1), varbinds([`${SYS}.5.0`, oct('manager-proposed')])));
    expect(fieldsOf(parseFrame(new PacketView(), udpFrame(failedSet, 161, 40000)))).toEqual({ version: 'v2c', community_seen: true, role: 'agent', pdu_type: 'response' });
  });

  it('a response sent from port 162 acknowledges an inform: manager, and the echoed values are not its own', () => {
    const ack = community(1, SECRET, pdu(0xa2, varbinds([`${SYS}.5.0`, oct('the-agent')])));
    expect(fieldsOf(parseFrame(new PacketView(), udpFrame(ack, 162, 40001)))).toEqual({ version: 'v2c', community_seen: true, role: 'manager', pdu_type: 'response' });
  });

  it('SNMPv3: only the version and the authoritative engine ID, attributed by the reportable flag', () => {
    const engine = Buffer.from('80001f8880a9498e5e3a2c3043', 'hex');
    const v3 = (flags: number, engineId: Buffer) => seq(int(3), seq(int(1), int(65507), oct(Buffer.from([flags])), int(3)),
      oct(seq(oct(engineId), int(1), int(2), oct('opsuser'), oct(''), oct(''))), seq(oct(engineId), oct(''), pdu(0xa0, varbinds([`${SYS}.5.0`, nul()]))));
    const v = new PacketView();
    // A get (reportable): the engine ID is the receiver's, the agent on port 161.
    const get = parseFrame(v, udpFrame(v3(0x04, engine), 40000, 161)) as Observation<'snmp'>[];
    expect(get).toEqual([{ device: { ip: '10.0.0.9', mac: '00:aa:bb:cc:dd:ee' }, tsMs: 1_700_000_000_000, source: 'snmp', fields: { version: 'v3', engine_id: '80001f8880a9498e5e3a2c3043' } }]);
    expect(JSON.stringify(get)).not.toContain('opsuser');
    // A response (not reportable): the sender's.
    expect((parseFrame(v, udpFrame(v3(0x00, engine), 161, 40000)) as Observation<'snmp'>[])[0].device).toEqual({ ip: '10.0.0.5', mac: '00:11:22:33:44:55' });
    // Discovery (empty engine ID): only that the sender speaks v3.
    expect(parseFrame(v, udpFrame(v3(0x04, Buffer.alloc(0)), 40000, 161))).toEqual([{ device: { ip: '10.0.0.5', mac: '00:11:22:33:44:55' }, tsMs: 1_700_000_000_000, source: 'snmp', fields: { version: 'v3' } }]);
  });

  it('rejects what is not a well-formed message', () => {
    const v = new PacketView();
    const payload = agentResponse().bytes.subarray(42);
    const reject = (p: Buffer) => expect(parseFrame(v, udpFrame(p, 161, 40000))).toBeNull();
    reject(Buffer.concat([Buffer.from([0x30, 0x80]), int(1), oct(SECRET), pdu(0xa2, varbinds()), Buffer.from([0, 0])])); // indefinite length
    reject(community(2, SECRET, pdu(0xa2, varbinds())));
    reject(community(0, SECRET, pdu(0xa5, varbinds()))); // get-bulk is not in v1
    reject(community(1, SECRET, ber(0xa4, oid('1.3.6.1'), varbinds()))); // v1 trap inside v2c
    reject(community(1, SECRET, pdu(0xa9, varbinds())));
    reject(seq(int(1), oct(SECRET), pdu(0xa2, varbinds()), nul())); // trailing element
    reject(community(1, SECRET, pdu(0xa2, seq(seq(oid(`${SYS}.5.0`)))))); // varbind without value
    reject(payload.subarray(0, payload.length - 1));
  });
});

describe('SNMP never throws on truncated or corrupted messages', () => {
  it('constructed messages', () => checkRobust([agentResponse()]));

  it.skipIf(!haveCorpus)('corpus messages: every truncation and seeded corruptions', async () => {
    const frames: CapturedFrame[] = [];
    for (const name of ['ndpi__snmp.pcap', 'zeek__leak_test.pcapng', 'zeek__snmpv1_trap.pcap', 'zeek__snmpv3_get_next.pcap']) {
      frames.push(...(await snmpFrames(join(corpus, 'snmp', name))));
    }
    expect(frames.length).toBe(156);
    checkRobust(frames);
  });
});

function checkRobust(frames: CapturedFrame[]): void {
  const v = new PacketView();
  let seed = 777;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const ok = (out: ReturnType<typeof parseFrame>) => expect(out === 'skip' || out === null || Array.isArray(out)).toBe(true);
  for (const f of frames) {
    parseFrame(v, f);
    const start = v.payloadOff;
    const len = v.payloadLen;
    // Shorter payloads as the UDP length would announce them, then cut captures.
    for (let n = 0; n <= len; n++) {
      parseFrame(v, f);
      v.payloadLen = n;
      const out = snmp.parse(v);
      expect(out === null || Array.isArray(out)).toBe(true);
    }
    for (let n = start; n <= f.bytes.length; n += 7) ok(parseFrame(v, f, f.bytes.subarray(0, n)));
    for (let i = 0; i < 200; i++) {
      const bad = Buffer.from(f.bytes);
      const hits = 1 + Math.floor(rand() * 3);
      for (let h = 0; h < hits; h++) bad[start + Math.floor(rand() * len)] = Math.floor(rand() * 256);
      ok(parseFrame(v, f, bad));
    }
  }
}

const evidence = join(fixtures, 'evidence-snmp.pcap');

describe.skipIf(!existsSync(evidence))('SNMP from net-snmp (test-fixtures/evidence-snmp.pcap)', () => {
  it('reads the agent\'s sys scalars and traps, marks the manager, keeps neither community', async () => {
    const v = new PacketView();
    const obs: Observation<'snmp'>[] = [];
    for (const f of await snmpFrames(evidence)) obs.push(...((parseFrame(v, f) as Observation<'snmp'>[] | null) ?? []));
    expect(obs.map((o) => [o.device.ip, o.fields.role, o.fields.pdu_type])).toEqual([
      ['10.30.0.50', 'manager', 'get'], ['10.30.0.20', 'agent', 'response'], ['10.30.0.50', 'manager', 'get'],
      ['10.30.0.20', 'agent', 'response'], ['10.30.0.20', 'agent', 'snmpv2-trap'], ['10.30.0.20', 'agent', 'trap'],
    ]);
    expect(obs[1].fields).toMatchObject({
      version: 'v2c', community_seen: true, sys_name: 'ward3-printer', hostname: 'ward3-printer', sys_object_id: '1.3.6.1.4.1.11.2.3.9.1',
      sys_descr: 'Example LaserJet 4000 network printer, firmware 20230714 (net-snmp)',
      sys_contact: 'Clinical Engineering <biomed@hospital.example>', sys_location: 'Ward 3, nurses station, room 3.112',
    });
    expect(obs[5].fields).toMatchObject({ version: 'v1', trap_enterprise: '1.3.6.1.4.1.11.2.3.9.1', trap_agent_addr: '10.30.0.20', trap_generic: 'linkDown' });
    expect(obs.every((o) => o.fields.community_seen === true)).toBe(true);
    // The communities of this capture (tshark shows them); neither may appear.
    const text = JSON.stringify(obs);
    for (const community of ['hospital-ro', 'hospital-trap']) expect(text).not.toContain(community);
  });
});

describe('SNMP says "not mine" to other traffic', () => {
  it('returns null for every UDP datagram of the DHCP and DNS fixtures', async () => {
    const v = new PacketView();
    let udp = 0;
    for (const name of ['lan-dhcp.pcap', 'lan-http.pcap', 'ipv6.pcap']) {
      for (const f of await loadFrames(join(fixtures, name))) {
        v.decode(f.bytes, 0, f.bytes.length, f.wireLen, f.tsMicros, f.linkType);
        if (v.l4Proto !== IpProto.UDP) continue;
        udp++;
        expect(snmp.parse(v)).toBeNull();
      }
    }
    expect(udp).toBeGreaterThan(10);
  });
});

/** Values tshark 4.0 decodes in these captures (sys scalars of responses/traps, v1 trap fields, v3 engine IDs), with frame counts. */
const TSHARK_VALUES: Record<string, Partial<Record<keyof SnmpFields, Record<string, number>>>> = {
  'ndpi__snmp.pcap': {
    sys_contact: { 'nick@globomantics.com': 2 }, sys_location: { GlobomanticsHQ: 2 }, sys_name: { 'R1.lab.local': 4 },
    trap_enterprise: { '1.3.6.1.6.3.1.1.5': 2 }, trap_agent_addr: { '10.1.30.1': 2 }, engine_id: { '800000090300aabbcc000100': 36 },
  },
  'zeek__leak_test.pcapng': {
    sys_location: { "Chandra's cube": 3 }, sys_name: { B6300: 3 }, sys_object_id: { '1.3.6.1.4.1.2001.1.1.1.297.93.1.27.2.2.1': 5 },
    trap_enterprise: { '1.3.6.1.4.1.31337.0': 1 }, trap_agent_addr: { '127.0.0.1': 1 }, engine_id: { '80001f8880a9498e5e3a2c3043': 3 },
  },
  'zeek__snmpv1_get.pcap': {
    sys_location: { "Chandra's cube": 3 }, sys_name: { B6300: 3 }, sys_object_id: { '1.3.6.1.4.1.2001.1.1.1.297.93.1.27.2.2.1': 5 },
  },
  'zeek__snmpv1_trap.pcap': { trap_enterprise: { '1.3.6.1.4.1.31337.0': 1 }, trap_agent_addr: { '127.0.0.1': 1 } },
  'zeek__snmpv3_get_next.pcap': { engine_id: { '80001f8880a9498e5e3a2c3043': 3 } },
  'zeek__snmpwalk-short.pcap': {
    sys_descr: { 'Linux ubuntu-512mb-sfo2-01 4.4.0-31-generic #50~14.04.1-Ubuntu SMP Wed Jul 13 01:07:32 UTC 2016 x86_64': 1 },
    sys_object_id: { '1.3.6.1.4.1.8072.3.2.10': 1 }, sys_contact: { 'Me <me@example.org>': 1 },
    sys_name: { 'ubuntu-512mb-sfo2-01': 1 }, sys_location: { 'Sitting on the Dock of the Bay': 1 },
  },
};

/** identities.tsv rows for one field: file → value → frame count. */
function identities(field: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of readFileSync(join(corpus, 'identities.tsv'), 'utf8').split('\n')) {
    const [file, f, value, count] = line.split('\t');
    if (count === undefined || f !== field) continue;
    const m = out.get(file) ?? new Map<string, number>();
    out.set(file, m);
    m.set(value, (m.get(value) ?? 0) + Number(count));
  }
  return out;
}

/** Observations of every SNMP datagram of a capture. */
async function observe(file: string): Promise<Observation<'snmp'>[]> {
  const v = new PacketView();
  const all: Observation<'snmp'>[] = [];
  for (const f of await loadFrames(join(corpus, file))) {
    const out = parseFrame(v, f);
    if (out !== 'skip') {
      expect(out).not.toBeNull();
      all.push(...(out ?? []));
    }
  }
  return all;
}

/** Test-side count of v1/v2c messages whose community is empty (length only; the octets are not read). */
async function emptyCommunityMessages(file: string): Promise<number> {
  const v = new PacketView();
  const t = newTlv();
  let n = 0;
  for (const f of await loadFrames(join(corpus, file))) {
    if (parseFrame(v, f) === 'skip') continue;
    const b = v.buf;
    const end = v.payloadOff + v.payloadLen;
    if (!readTlv(b, v.payloadOff, end, t) || !readTag(b, t.off, end, 0x02, t) || b[t.off] > 1) continue;
    if (readTag(b, t.end, end, 0x04, t) && t.len === 0) n++;
  }
  return n;
}

describe.skipIf(!haveCorpus)('SNMP on public captures', () => {
  it('agrees with tshark on sysDescr/sysObjectID/sysContact/sysName/sysLocation, v1 trap fields and v3 engine IDs', async () => {
    for (const [name, expected] of Object.entries(TSHARK_VALUES)) {
      const obs = await observe(join('snmp', name));
      const got: Record<string, Record<string, number>> = {};
      for (const o of obs) {
        for (const [k, value] of Object.entries(o.fields)) {
          if (!(k in { sys_descr: 1, sys_object_id: 1, sys_contact: 1, sys_name: 1, sys_location: 1, trap_enterprise: 1, trap_agent_addr: 1, engine_id: 1 })) continue;
          (got[k] ??= {})[String(value)] = (got[k][String(value)] ?? 0) + 1;
        }
        if (o.fields.sys_name !== undefined) expect(o.fields.hostname).toBe(o.fields.sys_name);
      }
      expect({ name, got }).toEqual({ name, got: expected });
    }
  });

  it('records community_seen for every v1/v2c message of each file with snmp.community, and never the community itself', async () => {
    const communities = identities('snmp.community');
    expect(communities.size).toBe(7);
    for (const [file, values] of communities) {
      const obs = await observe(file);
      const seen = obs.filter((o) => o.fields.community_seen === true).length;
      const tsharkFrames = [...values.values()].reduce((a, b) => a + b, 0);
      // tshark's rows skip empty communities; count those from the bytes to compare exactly.
      expect({ file, seen }).toEqual({ file, seen: tsharkFrames + (await emptyCommunityMessages(file)) });
      const text = JSON.stringify(obs);
      for (const community of values.keys()) expect({ file, community, found: text.includes(community) }).toEqual({ file, community, found: false });
    }
  });

  it('keeps no SNMPv3 user names', async () => {
    const text = JSON.stringify(await observe(join('snmp', 'ndpi__snmp.pcap')));
    for (const user of ['NOAUTHNOPRIV', 'SHA1AES128', 'AUTHNOPRIV']) expect(text).not.toContain(user);
  });

  it('explains identities.tsv snmp.octets: none of those values is a sys scalar, so none is recorded', async () => {
    // `<MISSING>` is tshark's text for a zero-length OCTET STRING (ifPhysAddress.1 of `lo`, an empty
    // sysLocation in SNMPv3 frames); 04013aefd201/02 are ifPhysAddress.2/.3 (MACs as hex).
    const octets = identities('snmp.octets');
    for (const [file, values] of octets) {
      const text = JSON.stringify(await observe(file));
      for (const value of values.keys()) {
        expect(value === '<MISSING>' || /^[0-9a-f]{12}$/.test(value)).toBe(true);
        if (value !== '<MISSING>') expect(text).not.toContain(value);
      }
    }
  });

  it('reads the v2c traps of a Cisco router (snmpTrapOID.0 linkDown/linkUp) and v1 generic traps', async () => {
    const obs = await observe(join('snmp', 'ndpi__snmp.pcap'));
    const traps = obs.filter((o) => o.fields.pdu_type === 'snmpv2-trap' || o.fields.pdu_type === 'trap').map((o) => o.fields);
    expect(traps).toHaveLength(4);
    expect(traps.map((t) => t.trap_oid ?? t.trap_generic)).toEqual(['1.3.6.1.6.3.1.1.5.3', '1.3.6.1.6.3.1.1.5.4', 'linkDown', 'linkUp']);
  });
});
