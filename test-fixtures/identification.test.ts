/**
 * Identification over the public corpus (../shared/corpus), with the real pipeline and the built-in
 * signature library:
 * - no device is called medical without clinical evidence or a medical-manufacturer identity (the
 *   count of false medical classifications must be zero);
 * - the IoT Sentinel captures (fingerprint/iot-sentinel, LABELS.tsv) get the right category: the
 *   accuracy is printed and must stay at or above the figure reported in README.md.
 * Skips with a printed reason when ../shared is absent.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../agent/capture/file-source.js';
import { builtinFingerprintsDir, loadLibrary, type Classification, type Library } from '../agent/identify/index.js';
import { Pipeline } from '../agent/pipeline.js';
import type { Device } from '../agent/store/device-json.js';
import { Store } from '../agent/store/store.js';
import { corpusDir } from './agreement.js';

const corpus = corpusDir();
const present = existsSync(corpus);
if (!present) console.warn(`identification corpus tests skipped: ${corpus} not found (../shared sits beside the checkout in CI)`);

/** Expected category of each IoT Sentinel device type (what the product is, from its name in the dataset). */
const IOT_SENTINEL_CATEGORY: Record<string, string> = {
  Aria: 'consumer-iot', // Fitbit Aria Wi-Fi scale
  'D-LinkCam': 'camera', 'D-LinkDayCam': 'camera', EdimaxCam1: 'camera', EdimaxCam2: 'camera', EdnetCam1: 'camera', EdnetCam2: 'camera',
  'D-LinkDoorSensor': 'consumer-iot', 'D-LinkHomeHub': 'consumer-iot', 'D-LinkSensor': 'consumer-iot', 'D-LinkSiren': 'consumer-iot',
  'D-LinkSwitch': 'consumer-iot', 'D-LinkWaterSensor': 'consumer-iot', EdimaxPlug1101W: 'consumer-iot', EdimaxPlug2101W: 'consumer-iot',
  EdnetGateway: 'consumer-iot', HomeMaticPlug: 'consumer-iot', HueBridge: 'consumer-iot', HueSwitch: 'consumer-iot',
  Lightify: 'consumer-iot', MAXGateway: 'consumer-iot', SmarterCoffee: 'consumer-iot', 'TP-LinkPlugHS100': 'consumer-iot',
  'TP-LinkPlugHS110': 'consumer-iot', WeMoInsightSwitch: 'consumer-iot', WeMoInsightSwitch2: 'consumer-iot', WeMoLink: 'consumer-iot',
  WeMoSwitch: 'consumer-iot', WeMoSwitch2: 'consumer-iot', Withings: 'consumer-iot', iKettle2: 'consumer-iot',
};

/** Accuracy this suite must keep (the figure measured when the library was written; see README). */
const MIN_IOT_SENTINEL_ACCURACY = 0.9;

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'bench') out.push(...captures(p)); // bench/ merges the others, at 127 MB
    } else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) {
      out.push(p);
    }
  }
  return out;
}

/** Ingest one capture into a scratch database; its classified devices. */
async function devicesOf(path: string, library: Library, work: string): Promise<Device[]> {
  const db = join(work, `${relative(corpus, path).replace(/[^A-Za-z0-9]+/g, '_')}.db`);
  const store = new Store(db);
  try {
    const pipeline = new Pipeline(store, { library });
    await readCaptureFile(path, pipeline);
    pipeline.finish();
    pipeline.close();
    return [...store.reader.allDevices()];
  } finally {
    store.close();
  }
}

/** Why a medical classification is justified, or null: clinical traffic, or a medical manufacturer's MAC. */
function medicalGround(d: Device): string | null {
  const clinical = (d.clinical?.protocols ?? []).filter((p) => p.protocol !== 'bacnet');
  if (clinical.length) return `clinical protocol ${clinical.map((p) => p.protocol).join(', ')}`;
  const c = d.classification as unknown as Classification | null;
  const byMac = c?.medical_identity.signatures.find((h) => h.value === 'true' && h.matched.some((m) => m.path === 'mac_vendor'));
  return byMac ? `medical manufacturer ${d.mac_vendor} (${byMac.id})` : null;
}

describe.skipIf(!present)('identification over ../shared/corpus', () => {
  let work = '';
  let library: Library;
  const all = new Map<string, Device[]>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'auscult-ident-'));
    library = loadLibrary({ builtinDir: builtinFingerprintsDir() });
    for (const path of captures(corpus)) all.set(relative(corpus, path), await devicesOf(path, library, work));
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('calls no device medical without clinical evidence or a medical-manufacturer identity', () => {
    let devices = 0;
    let medical = 0;
    const false_: string[] = [];
    for (const [file, list] of all) {
      for (const d of list) {
        devices++;
        if (!d.medical) continue;
        medical++;
        if (medicalGround(d) === null) false_.push(`${file}: device ${d.mac ?? d.ips[0]?.ip} ${d.category} (${(d.classification as unknown as Classification).medical_reason})`);
      }
    }
    console.log(`corpus: ${all.size} captures, ${devices} devices, ${medical} classified medical, ${false_.length} without clinical evidence or a medical-manufacturer identity`);
    expect(all.size).toBeGreaterThan(100);
    expect(false_).toEqual([]);
  });

  it('reads model and firmware of the switches, routers and access points of the LLDP/CDP/SNMP captures', () => {
    // [capture, MAC, what the device must be]: the values are in the captures' own bytes (see INDEX.md).
    const want: [string, string, Partial<Device>][] = [
      ['lldp_cdp/tcpdump__LLDP_and_CDP.pcap', '00:18:ba:98:68:8f', { vendor: 'Cisco', model: 'WS-C3560-24TS', os: 'Cisco IOS', firmware: '12.2(44)SE', category: 'network-equipment' }],
      ['lldp_cdp/tcpdump__LLDP_and_CDP.pcap', '00:19:2f:a7:b2:8d', { vendor: 'Cisco', model: 'WS-C3560G-24PS', os: 'Cisco IOS', firmware: '12.2(44)SE' }],
      ['lldp_cdp/tcpdump__3560_CDP.pcap', '00:19:06:ea:b8:85', { vendor: 'Cisco', model: 'WS-C3560G-24PS', firmware: '12.2(25)SEB4' }],
      ['lldp_cdp/ndpi__capwap.pcap', 'b8:38:61:f3:05:ac', { vendor: 'Cisco', model: 'AIR-CAP2602I-Q-K9', firmware: '15.2(4)JA1', category: 'wireless-ap' }],
      ['lldp_cdp/zeek__cdp-v1.pcap', '00:e0:1e:d5:d5:15', { vendor: 'Cisco', model: '1601', os: 'Cisco IOS', firmware: '11.2(12)P' }],
      ['lldp_cdp/zeek__lldp.pcap', '00:22:2d:81:db:10', { vendor: 'SMC Networks', model: 'SMCGS8P-Smart', firmware: '3.20', category: 'network-equipment' }],
      ['mixed/pcpp__many-protocols.pcap', '00:13:c3:df:ae:18', { vendor: 'Cisco', model: '2811', firmware: '12.4(24)T' }],
      ['mixed/pcpp__many-protocols.pcap', '00:0f:34:5f:16:8d', { vendor: 'Cisco', model: 'WS-C3550-24', firmware: '12.2(44)SE2' }],
      ['snmp/zeek__snmpwalk-short.pcap', '04:01:3a:ef:d2:01', { os: 'Ubuntu Linux' }],
    ];
    const got = want.map(([file, mac, expected]) => {
      const d = all.get(file)?.find((x) => x.mac === mac);
      return [file, mac, d ? Object.fromEntries(Object.keys(expected).map((k) => [k, d[k as keyof Device]])) : null];
    });
    expect(got).toEqual(want);
  });

  it('gives the IoT Sentinel devices their category', () => {
    const labels = readFileSync(join(corpus, 'fingerprint', 'iot-sentinel', 'LABELS.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('device_type'))
      .map((l) => l.split('\t'));
    const rows: string[] = [];
    let right = 0;
    for (const [type, mac] of labels) {
      const file = [...all.keys()].find((f) => f.startsWith(`fingerprint/iot-sentinel/${type}__`));
      const d = file ? all.get(file)!.find((x) => x.mac === mac) : undefined;
      const want = IOT_SENTINEL_CATEGORY[type];
      const got = d?.category ?? '(device not found)';
      if (got === want) right++;
      rows.push(`${got === want ? 'ok  ' : 'MISS'} ${type.padEnd(20)} want ${want.padEnd(13)} got ${got} ${d ? `(${d.confidence}; vendor ${d.vendor ?? '-'}, model ${d.model ?? '-'})` : ''}`);
    }
    const accuracy = right / labels.length;
    console.log(`IoT Sentinel category accuracy: ${right}/${labels.length} = ${(100 * accuracy).toFixed(1)}%\n${rows.join('\n')}`);
    expect(labels.length).toBe(Object.keys(IOT_SENTINEL_CATEGORY).length);
    expect(accuracy).toBeGreaterThanOrEqual(MIN_IOT_SENTINEL_ACCURACY);
  });
});
