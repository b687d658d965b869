/**
 * No device without clinical evidence or a medical-manufacturer identity is called medical.
 *
 * - The devices of every golden fixture (test-fixtures/*.expected.json, the device JSON the store
 *   serves): medical exactly when the MAC belongs to a medical manufacturer in the IEEE registry.
 * - The public corpus (../shared/corpus/identities.tsv: what tshark extracted from every capture,
 *   none of which carries clinical traffic the library knows): evidence of each capture, taken as one
 *   device, is never medical. The IoT Sentinel devices (LABELS.tsv) with their registry vendor too.
 * Skips the corpus part when ../shared is not beside the checkout.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMac } from '../decode/format.js';
import { macVendor } from '../inventory/oui.js';
import { builtinFingerprintsDir, classify, factsFromDevice, factsFromExample, loadLibrary, type DeviceFacts } from './index.js';

const library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const present = existsSync(join(corpus, 'identities.tsv'));
if (!present) console.warn(`corpus medical-safety tests skipped: ${corpus} not found`);

/** Protocols whose presence is clinical evidence by itself (IEEE 11073 SDC: `wsd.sdc` true). */
const CLINICAL_PROTOCOLS = ['dicom', 'hl7', 'poct1a', 'intellivue'];

function clinicalEvidence(d: DeviceFacts): boolean {
  const ev = d.evidence ?? {};
  return CLINICAL_PROTOCOLS.some((p) => p in ev) || (ev.wsd?.sdc ?? []).includes(true);
}

/** The MAC's registry organisation alone makes the library call a device medical. */
function medicalMaker(d: DeviceFacts): boolean {
  return d.mac_vendor ? classify(factsFromExample({ mac_vendor: d.mac_vendor }), library).medical : false;
}

describe('golden fixture devices', () => {
  const devices = readdirSync(fixtures)
    .filter((f) => f.endsWith('.expected.json'))
    .flatMap((f) => (JSON.parse(readFileSync(join(fixtures, f), 'utf8')) as { devices: (DeviceFacts & { id: number })[] }).devices.map((d) => ({ file: f, d })));

  it('are medical only with clinical evidence or a medical manufacturer, and always with the latter', () => {
    expect(devices.length).toBeGreaterThan(20);
    let medical = 0;
    for (const { file, d } of devices) {
      const c = classify(factsFromDevice(d), library);
      const why = `${file} device ${d.id} (${d.mac_vendor}): ${c.medical_reason}`;
      if (c.medical) expect(medicalMaker(d) || clinicalEvidence(d), why).toBe(true);
      if (medicalMaker(d)) expect(c.medical, why).toBe(true);
      if (c.medical) medical++;
    }
    expect(medical).toBeGreaterThan(0);
    expect(medical).toBeLessThan(devices.length);
  });

  it('identify the monitor, the phone, the switch and the printer of the evidence fixtures', () => {
    const byMac = new Map(devices.filter((x) => x.file.startsWith('evidence-')).map((x) => [x.d.mac, x.d]));
    const merged = (mac: string) =>
      devices
        .filter((x) => x.file.startsWith('evidence-') && x.d.mac === mac)
        .reduce<DeviceFacts>((acc, { d }) => ({ ...d, ...acc, evidence: { ...d.evidence, ...acc.evidence } }), {});
    expect(byMac.size).toBeGreaterThan(3);
    expect(classify(factsFromDevice(merged('00:09:fb:1e:00:31')), library)).toMatchObject({ vendor: { value: 'Philips' }, category: { value: 'patient-monitor' }, medical: true, criticality: 'life-sustaining' });
    expect(classify(factsFromDevice(merged('64:16:7f:1e:00:41')), library)).toMatchObject({ category: { value: 'ip-phone' }, medical: false });
    expect(classify(factsFromDevice(merged('00:1a:a1:1e:00:02')), library)).toMatchObject({ category: { value: 'network-equipment' }, medical: false });
    expect(classify(factsFromDevice(merged('3c:52:82:1e:00:20')), library)).toMatchObject({ vendor: { value: 'HP' }, category: { value: 'printer' }, model: { value: 'Example LaserJet 4000' }, medical: false });
  });
});

/** tshark identity fields of identities.tsv → evidence paths of the dissectors. */
function evidenceOf(rows: string[][]): Record<string, unknown[]> {
  const ev: Record<string, unknown[]> = {};
  const add = (path: string, v: unknown) => (ev[path] ??= []).push(v);
  for (const [, field, value] of rows) {
    switch (field) {
      case 'dhcp.vendor_class':
      case 'dhcp.hostname':
      case 'http.user_agent':
      case 'http.server':
      case 'tls.ja3':
      case 'tls.ja3s':
      case 'cdp.platform':
        add(field, value);
        break;
      case 'dhcp.prl(opt55)':
        add('dhcp.parameter_request_list', value);
        break;
      case 'tls.sni':
        add('tls.server_name', value);
        break;
      case 'cdp.software':
        add('cdp.software_version', value);
        break;
      case 'cdp.deviceid':
        add('cdp.hostname', value);
        break;
      case 'lldp.sysname':
        add('lldp.hostname', value);
        break;
      case 'lldp.sysdesc':
        add('lldp.system_description', value.replace(/\\n/g, '\n'));
        break;
      case 'snmp.octets':
        add('snmp.sys_descr', value);
        break;
      case 'browser.server':
        add('browser.hostname', value);
        break;
      case 'browser.os':
        add('browser.os_version', value);
        break;
      case 'nbns.name':
        add('nbns.names', value);
        break;
      case 'mdns.name': {
        const type = /(?:^|\.)(_[^.]+\._(?:tcp|udp))\.local$/.exec(value)?.[1];
        if (type && value.split('.').length > 3) add('mdns.service_types', type);
        else if (!type) add('mdns.hostname', value.replace(/\.local$/, ''));
        break;
      }
      case 'ssdp.hdr': {
        const m = /^([A-Z-]+):\s*(.*?)(\\r\\n)?$/i.exec(value);
        if (m) add(`ssdp.${m[1].toLowerCase().replace(/-/g, '_')}`, m[2]);
        break;
      }
      case 'lldp.chassis_mac': {
        const vendor = macVendor(parseMac(value));
        if (vendor) add('mac_vendor', vendor);
        break;
      }
    }
  }
  return ev;
}

describe.skipIf(!present)('public corpus', () => {
  const rows = present
    ? readFileSync(join(corpus, 'identities.tsv'), 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#') && !l.startsWith('file\t'))
        .map((l) => l.split('\t'))
    : [];
  const byFile = new Map<string, string[][]>();
  for (const r of rows) byFile.set(r[0], [...(byFile.get(r[0]) ?? []), r]);

  it('calls no capture medical: none carries clinical evidence or a medical manufacturer', () => {
    expect(byFile.size).toBeGreaterThan(50);
    const medical: string[] = [];
    for (const [file, fileRows] of byFile) {
      const c = classify(factsFromExample(evidenceOf(fileRows)), library, null, { overrides: false });
      if (c.medical) medical.push(`${file}: ${c.medical_reason}`);
    }
    expect(medical).toEqual([]);
  });

  it('calls no IoT Sentinel device medical', () => {
    const labels = readFileSync(join(corpus, 'fingerprint', 'iot-sentinel', 'LABELS.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('device_type'))
      .map((l) => l.split('\t'));
    expect(labels.length).toBeGreaterThan(20);
    for (const [type, mac] of labels) {
      const file = [...byFile.keys()].find((f) => f.startsWith(`fingerprint/iot-sentinel/${type}__`));
      const evidence = { ...evidenceOf(file ? byFile.get(file)! : []), mac, mac_vendor: macVendor(parseMac(mac)) ?? [] };
      const c = classify(factsFromExample(evidence), library, null, { overrides: false });
      expect(c.medical, `${type} ${mac}: ${c.medical_reason}`).toBe(false);
    }
  });
});
