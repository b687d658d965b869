/**
 * Test support for the export formats: real device objects (the bundled captures ingested through
 * the real pipeline, test-fixtures/golden.ts), the same devices with hostile host names, and one
 * event of each type about them.
 */
import { join } from 'node:path';
import { fixtureDir, goldenFor } from '../../test-fixtures/golden.js';
import type { Device } from '../store/device-json.js';
import { DEFAULT_SEVERITY, EVENT_TYPES, type AuscultEvent, type EventDetails, type EventType } from '../export/event.js';
import { primaryAnyIp, primaryHostname } from '../export/device-view.js';

/** Captures whose devices cover: DHCP names, LLDP/CDP and mDNS names, IPv6 only, medical (DICOM), routed. */
export const SAMPLE_CAPTURES = ['hostile-names.pcap', 'lan-dhcp.pcap', 'evidence-lldp.pcap', 'evidence-mdns.pcap', 'dhcpv6-dnsmasq.pcap', 'dicom-orthanc.pcap', 'routed.pcap'];

/**
 * Host names a device can give itself on the wire (a DHCP option 12, an mDNS or LLDP name is any
 * byte string): every character the formats must escape or neutralise.
 */
export const HOSTILE_NAMES: readonly string[] = [
  'pipe|name|CEF:0|x|y|z|1|10|',
  'equals=sign key=value cs1=forged',
  'back\\slash\\',
  'trailing backslash \\',
  'line\nbreak\r\nand CR\rend',
  '=HYPERLINK("http://evil.example/","click")',
  '+cmd|\' /C calc\'!A0',
  '-2+3',
  '@SUM(1)',
  'tab\there\tand\ttab',
  'ctl\u0000nul\u0007bel\u001b[2Jesc\u007fdel\u0085nel\u2028ls',
  'Müller-Röntgen 東京 👩‍⚕️',
  '<script>alert(1)</script>',
  '  leading and trailing spaces  ',
  '"quoted" \'single\' ] bracket',
  'json}{"a":1}',
];

let cache: Device[] | null = null;

/** Devices from the sample captures, ids renumbered so they are unique, without `peers`. */
export async function realDevices(): Promise<Device[]> {
  if (cache !== null) return cache;
  const out: Device[] = [];
  for (const c of SAMPLE_CAPTURES) {
    const g = await goldenFor(join(fixtureDir(), c));
    for (const raw of g.devices as (Device & { peers?: unknown })[]) {
      const { peers: _peers, ...d } = raw;
      out.push({ ...d, id: out.length + 1 });
    }
  }
  cache = out;
  return out;
}

/** The devices again, the i-th with HOSTILE_NAMES[i] as its most recent host name (cycling). */
export function withHostileNames(devices: readonly Device[]): Device[] {
  return devices.map((d, i) => {
    const name = HOSTILE_NAMES[i % HOSTILE_NAMES.length];
    const last = d.last_seen;
    return { ...d, hostnames: [...d.hostnames, { name, source: 'dhcp', first_seen: last, last_seen: last }] };
  });
}

/** One event of each type about `device` (hostile names flow into details and summaries). */
export function sampleEvents(device: Device, seqStart = 1): AuscultEvent[] {
  const mac = device.mac;
  const ip = primaryAnyIp(device) ?? '192.0.2.10';
  const hostname = primaryHostname(device) ?? 'unnamed';
  const details: { [T in EventType]: EventDetails[T] } = {
    'device.new': { mac, ip, mac_vendor: device.mac_vendor },
    'device.identity_changed': { mac, changes: [{ field: 'vendor', before: null, after: device.vendor }, { field: 'firmware', before: '1.0', after: device.firmware }] },
    'device.address_changed': { ip, mac, previous_mac: '02:00:00:00:00:99', previous_device_id: 99 },
    'device.hostname_new': { hostname, source: 'dhcp', mac },
    'service.new': { ip, transport: 'tcp', port: 104, mac },
    'peer.external_new': { ip, peer_ip: ip.includes(':') ? '2001:db8::53' : '203.0.113.7', port: 443, transport: 'tcp', mac },
    'arp.conflict': { ip, macs: [mac ?? '02:00:00:00:00:01', '02:00:00:00:00:02'], mac },
    'mac.flood': { new_macs_per_minute: 4000, threshold: 500 },
    'device.silent': { mac, ip, last_seen: device.last_seen, silent_seconds: 900 },
    'capture.drops': { interface: 'eth1', dropped: 1200, received: 100000, threshold: 1000 },
    'finding.new': { finding_id: 'f-1', finding_type: 'cleartext-clinical', mac, ip },
    'finding.resolved': { finding_id: 'f-1', finding_type: 'cleartext-clinical', mac, ip },
    'forward.dropped': { destination: 'syslog+tcp://siem.example:514 cef', dropped: 120, through_seq: 4000, retention_days: 90 },
  };
  return EVENT_TYPES.map((type, i) => {
    const sensorWide = type === 'mac.flood' || type === 'capture.drops' || type === 'forward.dropped';
    return {
      id: `${type.replace('.', '-')}-${device.id}-${i}`.slice(0, 40),
      seq: seqStart + i,
      time: device.last_seen,
      type,
      severity: DEFAULT_SEVERITY[type],
      device_id: sensorWide ? null : device.id,
      summary: `${type} for ${hostname}`,
      details: details[type],
    } as AuscultEvent;
  });
}
