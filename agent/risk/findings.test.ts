/**
 * Findings and risk from real captures (test-fixtures/, made by real software in namespaces): the
 * finding types fire with their evidence and peers, an acknowledgement stops counting, a finding
 * whose evidence is gone resolves and opens again when it comes back; the data files load.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../capture/file-source.js';
import { importAdvisories } from '../commands/advisories.js';
import { builtinFingerprintsDir, loadLibrary } from '../identify/index.js';
import { Pipeline } from '../pipeline.js';
import { StoreReader } from '../store/reader.js';
import { Store } from '../store/store.js';
import { openFindingsStore } from '../store/findings.js';
import { acknowledgeFinding } from './findings-run.js';
import { loadFindingData } from './finding-types.js';
import { FindingsEngine, isPublicAddress } from './findings.js';
import type { FindingInput } from '../store/findings.js';
import { impactFactors, riskOf } from './risk-score.js';

const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
const data = loadFindingData();

async function ingest(captures: string[], advisories: string[] = []): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'auscult-findings-')), 'inventory.db');
  // Advisories first: the findings engine matches what the database holds when it runs.
  if (advisories.length) importAdvisories(advisories, path);
  const store = new Store(path);
  const pipeline = new Pipeline(store, { library, classifyEveryFlush: false });
  for (const c of captures) await readCaptureFile(join('test-fixtures', c), pipeline);
  pipeline.finish();
  pipeline.close();
  store.close();
  return path;
}

const typesOf = (r: StoreReader): string[] => [...new Set(r.findings({ limit: 1000 }).items.map((f) => f.type))].sort();

describe('finding data', () => {
  it('loads every type with a title, severity, remediation and reference; points and levels are data', () => {
    expect(data.types.map((t) => t.id)).toEqual(expect.arrayContaining([
      'cleartext-dicom', 'cleartext-hl7', 'cleartext-poct1a', 'cleartext-intellivue', 'telnet', 'ftp', 'tftp', 'http-basic-auth', 'vnc-no-tls',
      'smb1', 'ntlmv1', 'snmp-v1-v2c', 'snmp-default-community', 'weak-tls', 'legacy-os', 'internet-exposure', 'remote-access', 'advisory', 'advisory-ioc',
    ]));
    for (const t of data.types) expect(t.references.length).toBeGreaterThan(0);
    expect(data.legacyOs.find((o) => o.name === 'Windows XP')?.endOfSupport).toBe('2014-04-08');
    expect(data.risk.filter((r) => r.kind === 'level').map((r) => r.id)).toEqual(['critical', 'high', 'medium', 'low']);
  });

  it('says which entry is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auscult-findtypes-'));
    expect(() => loadFindingData({ builtinDir: dir })).toThrow(/types.yaml: finding data file not found/);
  });
});

describe('findings from real captures', () => {
  it('clinical traffic in clear text: both ends, with peers and ports; SNMP v1/v2c; weak TLS; IntelliVue', async () => {
    const r = StoreReader.open(await ingest(['dicom-store.pcap', 'hl7-adt.pcap', 'evidence-snmp.pcap', 'evidence-tls.pcap', 'intellivue-connect.pcap']));
    expect(typesOf(r)).toEqual(['cleartext-dicom', 'cleartext-hl7', 'cleartext-intellivue', 'snmp-v1-v2c', 'weak-tls']);
    const dicom = r.findings({ type: 'cleartext-dicom' }).items;
    expect(dicom).toHaveLength(2);
    const ends = dicom.map((f) => `${f.evidence.peers[0].role}:${f.evidence.peers[0].local_ip}->${f.evidence.peers[0].peer_ip}:${f.evidence.peers[0].port}`).sort();
    expect(ends).toEqual(['client:10.40.0.20->10.40.0.10:11112', 'server:10.40.0.10->10.40.0.20:11112']);
    const snmp = r.findings({ type: 'snmp-v1-v2c' }).items[0];
    expect(snmp.evidence.observations.map((o) => o.fields.version)).toEqual(expect.arrayContaining(['v1', 'v2c']));
    expect(snmp.evidence.peers.every((p) => p.transport === 'udp')).toBe(true);
    const tls = r.findings({ type: 'weak-tls' }).items[0];
    expect(tls.evidence.observations[0].fields).toMatchObject({ message: 'server_hello', cert_self_signed: true });
    expect(tls.evidence.peers.every((p) => p.tls)).toBe(true);
    // The device object carries them and its risk block.
    const pacs = r.device(dicom[0].device_id);
    expect(pacs?.findings.map((f) => f.type)).toContain('cleartext-dicom');
    expect(pacs?.risk.score).toBe(Math.round(pacs!.risk.likelihood * pacs!.risk.impact));
    r.close();
  });

  it('every finding type of the insecure services recorded by make-findings-fixtures.sh, on the right device', async () => {
    const path = await ingest([
      'findings-telnet.pcap', 'findings-ftp.pcap', 'findings-tftp.pcap', 'findings-http-basic.pcap', 'findings-snmp.pcap', 'findings-tls-weak.pcap',
      'findings-vnc.pcap', 'findings-rdp.pcap', 'findings-internet.pcap',
    ], ['test-fixtures/advisories/network-indicators.json']);
    const r = StoreReader.open(path);
    const byDevice = new Map<string, string[]>();
    for (const f of r.findings({ limit: 1000 }).items) {
      const ip = r.device(f.device_id)?.ips[0]?.ip ?? '';
      byDevice.set(ip, [...(byDevice.get(ip) ?? []), f.key ? `${f.type} ${f.key}` : f.type].sort());
    }
    // gw: the GE Healthcare gateway running the insecure servers; mon: the Philips monitor with VNC and RDP
    // that talks to a public host and to the advisory's address; ws: the client, which sent the community
    // and the Basic credentials itself, and fetched a file over TFTP.
    expect(Object.fromEntries(byDevice)).toEqual({
      '10.70.0.10': ['ftp', 'http-basic-auth', 'snmp-default-community', 'snmp-v1-v2c', 'telnet', 'tftp', 'weak-tls'],
      '10.70.0.31': ['advisory-ioc 203.0.113.119', 'internet-exposure', 'remote-access', 'vnc-no-tls'],
      '10.70.0.50': ['http-basic-auth', 'snmp-default-community', 'snmp-v1-v2c', 'tftp'],
    });
    const tls = r.findings({ type: 'weak-tls' }).items[0];
    expect(tls.evidence.observations.map((o) => o.fields)).toEqual(expect.arrayContaining([
      expect.objectContaining({ version: 'TLS 1.0', cert_expired: true, cert_self_signed: true, cert_key_bits: 1024 }),
      expect.objectContaining({ version: 'TLS 1.1' }),
      expect.objectContaining({ cipher_weakness: 'null' }),
    ]));
    const exposure = r.findings({ type: 'internet-exposure' }).items[0];
    expect(exposure.evidence.peers.map((p) => `${p.peer_ip}:${p.port}`)).toEqual(['93.184.216.34:80']);
    expect(exposure.evidence.detail).toMatchObject({ public_peers: 1, bytes: expect.any(Number) });
    const monitor = r.device(exposure.device_id);
    expect(monitor?.risk).toMatchObject({ score: 100, level: 'critical' });
    // Each finding is a finding.new event on the feed, with the finding's severity and the device.
    const events = r.events({ afterSeq: 0, limit: 1000, type: 'finding.new' });
    expect(events).toHaveLength(r.findings({ limit: 1000 }).items.length);
    expect(events.find((e) => (e.details as { finding_id?: string }).finding_id === String(exposure.id))).toMatchObject({
      severity: 'critical', device_id: exposure.device_id, details: { finding_type: 'internet-exposure', mac: '00:09:fb:17:00:31', ip: '10.70.0.31' },
    });
    r.close();
    // Secrets never stored: the Basic password (plain or base64), the FTP address given as password, the
    // RDP user's cookie; the community is a flag only.
    const db = readFileSync(path);
    for (const secret of ['Pump-Admin-2024', Buffer.from('service:Pump-Admin-2024').toString('base64'), 'service@example.org', 'mstshash', 'not-the-password']) {
      expect(db.includes(secret), secret).toBe(false);
    }
  });

  it('advisory: the IntelliVue fixture (M8007A, firmware M.00.03) against the bundled CISA advisories', async () => {
    const r = StoreReader.open(await ingest(['intellivue-connect.pcap'], ['fingerprints/advisories/icsma']));
    const keys = r.findings({ type: 'advisory' }).items.map((f) => f.key);
    expect(keys).toEqual(expect.arrayContaining(['ICSMA-18-156-01', 'ICSMA-20-254-01']));
    const f = r.findings({ type: 'advisory' }).items[0];
    expect(f.points).toBeGreaterThan(2);
    expect(f.evidence.detail).toHaveProperty('advisory.cves');
    r.close();
  });

  it('weak-tls: RC4, DES, 3DES and EXPORT suites in public captures (Debian\'s OpenSSL cannot make them)', async (ctx) => {
    const files = ['../shared/corpus/tls/retina__tls_ciphers.pcap', '../shared/corpus/mixed/pcpp__many-protocols.pcap'];
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length) ctx.skip(`${missing.join(', ')} absent (../shared is read-only reference material beside the checkout)`);
    const store = new Store(join(mkdtempSync(join(tmpdir(), 'auscult-findings-')), 'inventory.db'));
    const pipeline = new Pipeline(store, { library, classifyEveryFlush: false });
    for (const f of files) await readCaptureFile(f, pipeline);
    pipeline.finish();
    pipeline.close();
    const weak = new Set(store.reader.findings({ type: 'weak-tls', limit: 1000 }).items
      .flatMap((f) => f.evidence.observations.map((o) => o.fields.cipher_weakness)).filter((w) => w !== undefined));
    store.close();
    // tshark: pcpp__many-protocols has two servers choosing 0x0005 (RSA_WITH_RC4_128_SHA); retina__tls_ciphers
    // one server choosing 0x0003 (RSA_EXPORT_WITH_RC4_40_MD5), 0x0009 (DES), 0x000a (3DES) among others.
    expect(weak).toEqual(new Set(['rc4', 'export', 'des', '3des']));
  });

  it('legacy-os: the end-of-support table against what the device states (engine level: no capture of an old Windows here)', () => {
    const engine = new FindingsEngine(data);
    const input = (nativeOs: string, lastSeenMs: number): FindingInput => ({
      deviceId: 1, mac: null, ip: null, lastSeenMs, vendor: null, model: null, firmware: null, os: 'Windows', category: 'workstation', criticality: null, medical: false,
      services: [], protocols: ['smb'], observations: [], evidence: { smb: { native_os: [nativeOs] } }, peers: [], peerSources: () => new Set(),
    });
    const legacy = (nativeOs: string, at: string) =>
      engine.compute(input(nativeOs, Date.parse(at)), { matcher: null, indicators: null }).filter((f) => f.type === 'legacy-os');
    expect(legacy('Windows 5.1', '2024-01-01T00:00:00Z')[0].evidence.detail).toMatchObject({ os: 'Windows XP', end_of_support: '2014-04-08' });
    expect(legacy('Windows 7 Ultimate 7601 Service Pack 1', '2020-01-15T00:00:00Z')[0].evidence.detail).toMatchObject({ os: 'Windows 7' });
    // Seen while still supported (the end date itself is supported), or a supported release: none.
    expect(legacy('Windows 7 Ultimate 7601 Service Pack 1', '2020-01-14T12:00:00Z')).toEqual([]);
    expect(legacy('Windows Server 2019 Standard 17763', '2024-01-01T00:00:00Z')).toEqual([]);
    // Samba's NativeOS is "Windows 6.1": no claim from it.
    expect(legacy('Windows 6.1', '2024-01-01T00:00:00Z')).toEqual([]);
    // Browser announcements and User-Agents: an NT version names the later-supported of its two releases;
    // a Samba announcement (SV_TYPE_SERVER_UNIX) claims nothing.
    const stated = (source: string, fields: Record<string, unknown>) => engine.compute({
      ...input('', Date.parse('2021-01-01T00:00:00Z')), evidence: {},
      observations: [{ source, fields, firstMs: 0, lastMs: 0, count: 1 }],
    }, { matcher: null, indicators: null }).filter((f) => f.type === 'legacy-os').map((f) => (f.evidence.detail as { os: string }).os);
    expect(stated('browser', { os_version: '6.1', server_types: ['workstation', 'server', 'nt'] })).toEqual(['Windows 7 or Server 2008 R2 (NT 6.1)']);
    expect(stated('browser', { os_version: '6.1', server_types: ['workstation', 'server', 'unix_server', 'nt'] })).toEqual([]);
    expect(stated('browser', { os_version: '10.0', server_types: ['workstation', 'nt'] })).toEqual([]);
    expect(stated('http', { user_agent: 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)' })).toEqual(['Windows XP (NT 5.1)']);
    expect(stated('http', { user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/116.0.0.0' })).toEqual([]);
  });

  it('none on captures without those weaknesses (DHCP, mDNS, LLDP, DHCPv6)', async () => {
    const r = StoreReader.open(await ingest(['lan-dhcp.pcap', 'evidence-mdns.pcap', 'evidence-lldp.pcap', 'dhcpv6-dnsmasq.pcap']));
    expect(typesOf(r)).toEqual([]);
    r.close();
  });

  it('DICOM inside TLS is no cleartext-dicom peer: only the echo in clear on 104 is', async () => {
    const r = StoreReader.open(await ingest(['dicom-tls.pcap']));
    expect(typesOf(r)).toEqual(['cleartext-dicom']);
    const ports = r.findings({ type: 'cleartext-dicom' }).items.flatMap((f) => f.evidence.peers.map((p) => `${p.port}${p.tls ? '/tls' : ''}`));
    expect(new Set(ports)).toEqual(new Set(['104']));
    r.close();
  });

  it('acknowledged: stays listed and marked, stops counting; resolved and reopened with the evidence', async () => {
    const path = await ingest(['dicom-store.pcap']);
    const s = await openFindingsStore(path);
    const f = s.reader.findings({ type: 'cleartext-dicom' }).items[0];
    const before = s.reader.deviceRisk(f.device_id);
    expect(before.score).toBeGreaterThan(0);
    expect(acknowledgeFinding(s, data, f.id, 'imaging VLAN isolated, vendor fix planned Q3')).toBe(true);
    const acked = s.reader.finding(f.id);
    expect(acked).toMatchObject({ status: 'acknowledged', ack_reason: 'imaging VLAN isolated, vendor fix planned Q3' });
    const after = s.reader.deviceRisk(f.device_id);
    expect(after.likelihood).toBe(0);
    expect(after.score).toBe(0);
    expect(after.factors.some((x) => x.kind === 'impact')).toBe(true);
    // Evidence gone: resolved; back: open again, the acknowledgement gone.
    const resolved = s.transaction(() => s.findings.sync(f.device_id, [], 1000));
    expect(resolved).toEqual([expect.objectContaining({ findingId: f.id, change: 'resolved', severity: 'high' })]);
    expect(acknowledgeFinding(s, data, f.id, 'again')).toBe(false);
    const again = s.findings.sync(f.device_id, [{
      type: f.type, key: '', severity: f.severity, title: f.title, remediation: f.remediation, references: f.references, points: f.points,
      evidence: f.evidence, firstMs: Date.parse(f.first_seen), lastMs: Date.parse(f.last_seen) + 1,
    }], 2000);
    expect(again).toEqual([expect.objectContaining({ findingId: f.id, change: 'reopened' })]);
    expect(s.reader.finding(f.id)).toMatchObject({ status: 'open', ack_reason: null });
    s.close();
  });
});

describe('risk score', () => {
  it('likelihood x impact, capped, acknowledged findings left out, levels from data', () => {
    const impact = impactFactors({ medical: true, category: 'infusion-pump', criticality: 'life-sustaining', protocols: ['hl7'] }, data.risk);
    expect(impact.map((f) => `${f.factor}:${f.points}`)).toEqual(['life-sustaining:10', 'handles-clinical-data:2']);
    const risk = riskOf([
      { id: 1, type: 'telnet', title: 't', status: 'open', points: 3 },
      { id: 2, type: 'internet-exposure', title: 'i', status: 'open', points: 4 },
      { id: 3, type: 'advisory', title: 'a', status: 'open', points: 8 },
      { id: 4, type: 'smb1', title: 's', status: 'acknowledged', points: 3 },
    ], impact, data.risk);
    expect(risk).toMatchObject({ likelihood: 10, impact: 10, score: 100, level: 'critical' });
    expect(risk.factors.filter((f) => f.kind === 'likelihood').map((f) => f.factor)).toEqual(['advisory', 'internet-exposure', 'telnet']);
    const it = impactFactors({ medical: false, category: 'printer', criticality: null, protocols: ['snmp'] }, data.risk);
    expect(riskOf([{ id: 1, type: 'snmp-v1-v2c', title: 's', status: 'open', points: 2 }], it, data.risk)).toMatchObject({ score: 4, level: 'low' });
    expect(riskOf([], it, data.risk)).toMatchObject({ score: 0, level: 'none' });
  });

  it('public addresses are those outside the special-purpose registries', () => {
    for (const ip of ['10.1.2.3', '192.168.0.1', '172.20.0.1', '100.64.1.1', '169.254.1.1', '224.0.0.251', 'fe80::1', 'fd00::1', '::1', '255.255.255.255']) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
    for (const ip of ['8.8.8.8', '52.94.236.248', '2a00:1450:4001:82a::200e']) expect(isPublicAddress(ip), ip).toBe(true);
  });
});
