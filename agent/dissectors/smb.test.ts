import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tcpDirections, type TcpDirection } from '../testing/tcp-streams.js';
import { smb, type SmbFields } from './smb.js';
import type { StreamContext, StreamVerdict } from './types.js';

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
if (!existsSync(corpus)) console.warn(`smb.test: ${corpus} absent, the tests on real SMB captures are skipped`);

type Parse = (data: Buffer, ctx: StreamContext, final?: boolean) => StreamVerdict<'smb'>;
const parse = smb.parse as Parse;
const ctxOf = (d: TcpDirection): StreamContext => ({ ...d, peerData: Buffer.alloc(0) });
const keyOf = (d: TcpDirection) => `${d.srcIp}|${d.srcPort}|${d.dstIp}|${d.dstPort}`;

/** What the pipeline does, plus a final call for directions the capture ends in the middle of. */
function run(d: TcpDirection): SmbFields | undefined {
  if (!smb.probe(d.data.subarray(0, 1448))) return undefined;
  let v = parse(d.data.subarray(0, 16384), ctxOf(d));
  if (v !== null && !v.done) v = parse(d.data.subarray(0, 16384), ctxOf(d), true);
  return v !== null && v.done ? v.observations[0]?.fields : undefined;
}

describe('smb probe', () => {
  it('accepts session messages carrying an SMB header and NetBIOS session requests, nothing else', () => {
    expect(smb.probe(Buffer.from('000000', 'hex'))).toBe(true);
    expect(smb.probe(Buffer.from('00000085ff534d4272', 'hex'))).toBe(true);
    expect(smb.probe(Buffer.from('000000e0fe534d4240', 'hex'))).toBe(true);
    expect(smb.probe(Buffer.from('810000442045', 'hex'))).toBe(true);
    expect(smb.probe(Buffer.from('0000001c0102', 'hex'))).toBe(false);
    expect(smb.probe(Buffer.from('GET / HTTP/1.1'))).toBe(false);
    expect(smb.probe(Buffer.from('160301', 'hex'))).toBe(false);
  });
});

/**
 * tshark 4.0.17 on the zeek bench merge, per direction: the first NTLMSSP message of each type over SMB
 * (ntlmssp.version.*, ntlmssp.challenge.target_info.*, ntlmssp.auth.hostname/domain; NULL omitted).
 */
const TSHARK_NTLM: [string, Record<string, string>][] = [
  ['10.0.0.11|49208|10.0.0.12|445', { os_version: '6.0.6001', hostname: 'SERVER01', auth_domain: 'CONTOSO' }],
  ['10.0.0.12|445|10.0.0.11|49208', { os_version: '6.0.6001', hostname: 'SERVER002', nb_domain: 'CONTOSO', dns_hostname: 'SERVER002.contoso.com', dns_domain: 'contoso.com', dns_tree: 'contoso.com' }],
  ['192.168.56.1|56062|192.168.56.101|445', { os_version: '6.1.7600', hostname: 'BABYBOOK', auth_domain: 'TEST-F7DFBC3FE9' }],
  ['192.168.56.101|445|192.168.56.1|56062', { os_version: '5.1.2600', hostname: 'TEST-F7DFBC3FE9', nb_domain: 'TEST-F7DFBC3FE9', dns_hostname: 'test-f7dfbc3fe9', dns_domain: 'test-f7dfbc3fe9' }],
  ['10.160.64.139|38166|10.160.65.202|445', { auth_domain: 'SUSE' }],
  ['10.160.65.202|445|10.160.64.139|38166', { os_version: '10.0.14393', hostname: 'WS2016', nb_domain: 'SUSE', dns_hostname: 'WS2016.suse.de', dns_domain: 'suse.de', dns_tree: 'suse.de' }],
  ['10.160.67.244|445|192.168.100.168|44718', { os_version: '10.0.14393', hostname: 'AD', nb_domain: 'FOO', dns_hostname: 'AD.foo.test', dns_domain: 'foo.test', dns_tree: 'foo.test' }],
  ['172.17.0.184|57092|172.17.0.189|445', { os_version: '10.0.19041', hostname: 'CLIENT-WIN-FR', auth_domain: '.' }],
  ['172.17.0.189|445|172.17.0.184|57092', { os_version: '10.0.19041', hostname: 'SRV2-WIN-FR', nb_domain: 'SRV2-WIN-FR', dns_hostname: 'srv2-win-fr', dns_domain: 'srv2-win-fr' }],
  ['172.17.0.184|57095|172.17.0.189|445', { os_version: '10.0.19041', hostname: 'CLIENT-WIN-FR', auth_domain: '.' }],
  ['172.17.0.189|445|172.17.0.184|57095', { os_version: '10.0.19041', hostname: 'SRV2-WIN-FR', nb_domain: 'SRV2-WIN-FR', dns_hostname: 'srv2-win-fr', dns_domain: 'srv2-win-fr' }],
  ['127.0.0.1|54268|127.0.0.1|445', { os_version: '6.1.0', hostname: 'TINKYX390', auth_domain: 'ZEEK-TEST' }],
  ['127.0.0.1|445|127.0.0.1|54268', { os_version: '6.1.0', hostname: 'TINKYX390', nb_domain: 'TINKYX390', dns_hostname: 'tinkyx390.local', dns_domain: 'local' }],
  ['192.168.2.186|62083|192.168.2.69|445', { os_version: '6.1.7600', hostname: 'JUSTIN-AZOFF', auth_domain: '65A2D0F0A866' }],
  ['192.168.2.69|445|192.168.2.186|62083', { os_version: '6.1.0', hostname: '65A2D0F0A866', nb_domain: '65A2D0F0A866', dns_hostname: '65a2d0f0a866' }],
  ['127.0.0.1|445|127.0.0.1|34884', { os_version: '6.1.0', hostname: '214F1A10CF96', nb_domain: '214F1A10CF96', dns_hostname: '214f1a10cf96' }],
  ['172.17.0.1|38016|172.17.0.2|445', { os_version: '6.1.0', hostname: 'TINKYX390', auth_domain: 'WORKGROUP' }],
  ['172.17.0.2|445|172.17.0.1|38016', { os_version: '6.1.0', hostname: 'SAMBA-CONTAINER', nb_domain: 'SAMBA-CONTAINER', dns_hostname: 'samba-container' }],
  ['172.31.112.17|57829|172.31.112.16|445', { os_version: '10.0.17763', hostname: 'WIN-I82B81NSLLJ', auth_domain: 'WIN-I82B81NSLLJ' }],
  ['172.31.112.16|445|172.31.112.17|57829', { os_version: '10.0.17763', hostname: 'WIN-SVV-PC1', nb_domain: 'SVV', dns_hostname: 'win-svv-pc1.svv.local', dns_domain: 'svv.local', dns_tree: 'svv.local' }],
  ['192.168.226.136|445|192.168.226.131|32860', { os_version: '10.0.20348', hostname: 'WIN-VGO56I95EAK', nb_domain: 'ADHACKING', dns_hostname: 'WIN-VGO56I95EAK.ADHACKING.local', dns_domain: 'ADHACKING.local', dns_tree: 'ADHACKING.local' }],
];

/** tshark 4.0.17 smb/smb2 fields (smb2.dialect, smb2.server_guid, smb2.client_guid, smb.native_os, ...). */
const TSHARK_SMB: [string, string, Record<string, unknown>][] = [
  ['zeek', '10.0.0.12|445|10.0.0.11|49208', { smb_version: 2, dialect: '2.0.2', server_guid: 'e6fa9a19-c50f-49c1-b76b-e5fbd1c6f112' }],
  ['zeek', '172.17.0.184|57092|172.17.0.189|445', { dialects: ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'], client_guid: '9ec99638-2283-11eb-b7bb-005056992e14' }],
  ['zeek', '172.16.0.5|445|172.16.0.211|49811', { dialect: '2.1', server_guid: '99a80eae-1f7b-46f2-bb24-30163630408c' }], // after 0x02ff
  ['zeek', '172.16.0.211|49811|172.16.0.5|445', { smb1_dialects: ['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'], client_guid: '4eb0c234-3263-11ec-9d6d-00155d031322' }],
  ['zeek', '192.168.0.2|445|192.168.0.1|17704', { smb_version: 1, native_os: 'Windows 6.1', native_lanman: 'Samba 4.7.4', nb_domain: 'TEST', hostname: 'JESSIE' }],
  ['zeek', '192.168.56.1|56062|192.168.56.101|445', { native_os: 'Mac OS X 10.10', native_lanman: 'SMBFS 3.0.0' }],
  ['zeek', '10.24.8.44|445|10.24.64.228|1227', { native_os: 'Windows 5.0', native_lanman: 'Windows 2000 LAN Manager', nb_domain: 'HOUSING' }],
  ['zeek', '10.24.64.228|1227|10.24.8.44|445', { native_os: 'Windows 2002 Service Pack 2 2600', native_lanman: 'Windows 2002 5.1' }],
  ['ndpi', '10.128.0.243|445|172.16.156.130|50927', { native_os: 'Windows 7 Ultimate 7601 Service Pack 1', native_lanman: 'Windows 7 Ultimate 6.1', nb_domain: 'WORKGROUP', hostname: 'JOHN-PC' }],
  ['ndpi', '172.16.156.130|50927|10.128.0.243|445', { native_os: 'Windows 2000 2195', native_lanman: 'Windows 2000 5.0' }],
  ['ndpi', '10.202.211.125|54120|10.202.7.8|445', { native_os: 'SpinCifsClient V1', native_lanman: 'SpinCifsClient LanMan' }],
  ['ndpi', '10.202.7.8|445|10.202.211.125|54120', { native_os: 'Windows Server 2016 Standard 14393', native_lanman: 'Windows Server 2016 Standard 6.3' }],
  // nbss.calling_name / nbss.called_name of a NetBIOS SESSION REQUEST: the capture holds nothing after it.
  ['ndpi', '10.19.71.184|55489|10.17.113.129|139', { hostname: 'ROSFHQ07WS004', called_name: 'IBIFHQ11WS023<20>' }],
];

describe.skipIf(!existsSync(corpus))('smb against the public corpus', () => {
  const dirs: Record<string, TcpDirection[]> = {};
  const byKey: Record<string, Map<string, TcpDirection>> = {};
  beforeAll(async () => {
    for (const [name, file] of [['zeek', 'zeek-ethernet-merged.pcap'], ['ndpi', 'ndpi-ethernet-merged.pcap']]) {
      dirs[name] = await tcpDirections(join(corpus, 'bench', file), 16384);
      byKey[name] = new Map(dirs[name].map((d) => [keyOf(d), d]));
    }
  });

  it('agrees with tshark on every NTLMSSP identity field carried over SMB', () => {
    for (const [key, expected] of TSHARK_NTLM) {
      const fields = run(byKey.zeek.get(key)!);
      expect(fields, key).toMatchObject(expected);
      for (const k of ['hostname', 'nb_domain', 'dns_hostname', 'dns_domain', 'dns_tree', 'auth_domain', 'os_version'] as const) {
        if (!(k in expected) && k !== 'hostname') expect(fields?.[k], `${key} ${k}`).toBeUndefined();
      }
    }
  });

  it('agrees with tshark on dialects, GUIDs, native OS and LAN Manager strings', () => {
    for (const [file, key, expected] of TSHARK_SMB) expect(run(byKey[file].get(key)!), key).toMatchObject(expected);
  });

  it('writes SMB1 server GUIDs in the same (Windows, little-endian) layout as SMB2 ones', () => {
    // tshark prints smb.server_guid big-endian (packet-smb.c adds it with ENC_NA) but smb2.server_guid
    // little-endian; e.g. it shows 3a469d47-620d-584e-a2d2-9a4727a4af0a for these bytes.
    expect(run(byKey.ndpi.get('10.202.7.8|445|10.202.211.125|54120')!)?.server_guid).toBe('479d463a-0d62-4e58-a2d2-9a4727a4af0a');
  });

  it('reads an OEM LANMAN2.1 domain that tshark misreads as UTF-16 ("????")', () => {
    expect(run(byKey.zeek.get('10.0.0.1|445|10.0.0.2|23574')!)).toEqual({ smb_version: 1, nb_domain: 'WORKGROUP' });
  });

  it('stores no user or account name', () => {
    const names = ['WebDAV', 'MARTIN ROSENAU', 'ALeonard', 'Administrator', 'administrator', 'justin', 'User1', 'user2', 'GUEST', 'zeek'];
    for (const d of [...dirs.zeek, ...dirs.ndpi]) {
      const text = JSON.stringify(run(d) ?? {});
      for (const n of names) expect(text, keyOf(d)).not.toContain(`"${n}"`);
    }
  });

  it('waits at every split point of a client handshake, then gives the same result', () => {
    for (const key of ['172.17.0.184|57092|172.17.0.189|445', '192.168.56.1|56062|192.168.56.101|445', '172.17.0.189|445|172.17.0.184|57092']) {
      const d = byKey.zeek.get(key)!;
      const whole = parse(d.data, ctxOf(d));
      expect(whole).toMatchObject({ done: true });
      // The shortest prefix giving the same verdict ends exactly at the end of an SMB message.
      let end = d.data.length;
      while (end > 0 && JSON.stringify(parse(d.data.subarray(0, end - 1), ctxOf(d))) === JSON.stringify(whole)) end--;
      expect(((d.data.readUInt32BE(0) & 0xffffff) + 4) <= end).toBe(true);
      for (let k = 1; k < end; k++) expect(parse(d.data.subarray(0, k), ctxOf(d)), `${key} at ${k}`).toEqual({ done: false });
    }
  });

  it('never throws on truncated or corrupted real handshakes', () => {
    for (const key of ['172.17.0.184|57092|172.17.0.189|445', '172.17.0.189|445|172.17.0.184|57092', '192.168.56.1|56062|192.168.56.101|445',
      '192.168.56.101|445|192.168.56.1|56062', '192.168.0.2|445|192.168.0.1|17704']) {
      const d = byKey.zeek.get(key)!;
      const b = d.data.subarray(0, 2000);
      for (let k = 0; k <= b.length; k++) parse(b.subarray(0, k), ctxOf(d), k % 2 === 0);
      for (let i = 0; i < b.length; i++) {
        for (const x of [0x00, 0x01, 0x7f, 0xff]) {
          const c = Buffer.from(b);
          c[i] = x;
          const v = parse(c, ctxOf(d), true);
          expect(v === null || v.done).toBe(true);
        }
      }
    }
  });
});
