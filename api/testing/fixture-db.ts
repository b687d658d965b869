/**
 * A small inventory with known content for the API tests, written through the real Store so the
 * schema and the SQL are those of production. Deterministic: fixed times, ids in insertion order.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, type TrafficCounters } from '../../agent/store/store.js';

/** 2024-05-01T08:00:00Z: capture time of the first packet. */
export const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);
const HOUR = 3_600_000;

export const LAYER2_DEVICES = 20;
export const ROUTED_DEVICES = 4;
export const TOTAL_DEVICES = LAYER2_DEVICES + ROUTED_DEVICES;

/** Vendors cycle over the layer-2 devices; one holds LIKE wildcards to prove they are matched literally. */
export const VENDORS = ['GE Healthcare', 'Philips Medical Systems', 'Siemens Healthineers', null, 'Mindray 50%_Co'] as const;

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
/** MAC of the i-th layer-2 device (device id i + 1). */
export const macOf = (i: number): string => `00:1b:21:00:${hex2(i >> 8)}:${hex2(i & 0xff)}`;
export const ipv4Of = (i: number): string => `10.0.${i % 3}.${i + 10}`;
export const ipv6Of = (i: number): string => `fe80::21b:21ff:fe00:${(i + 1).toString(16)}`;

const traffic = (firstMs: number, lastMs: number, n: number): TrafficCounters => ({
  packetsSent: n,
  bytesSent: n * 100,
  packetsReceived: n * 2,
  bytesReceived: n * 150,
  firstSeenMs: firstMs,
  lastSeenMs: lastMs,
});

/**
 * Device i (id i + 1) is first seen at T0 + i hours and last seen half an hour later. Layer-2 devices
 * have an ARP-bound IPv4 address, even ones also an IPv6 address, and a VLAN (100 + i % 3).
 * Device 1 is a DICOM server (tcp/104) that device 2 talks to; device 2 serves HL7 (tcp/2575) and
 * talks to a host that never answered. The last ingest (id 2) is still running.
 */
export function buildFixtureDatabase(dir = mkdtempSync(join(tmpdir(), 'auscult-api-'))): string {
  const path = join(dir, 'inventory.db');
  const store = new Store(path);
  store.transaction(() => {
    const done = store.ingests.start({ kind: 'file', source: 'ward-3.pcap' });
    for (let i = 0; i < LAYER2_DEVICES; i++) {
      const first = T0 + i * HOUR;
      const last = first + HOUR / 2;
      const vendor = VENDORS[i % VENDORS.length];
      const id = store.macDeviceId(macOf(i), vendor, vendor === null && i % 2 === 1, first);
      store.addTraffic(id, traffic(first, last, i + 1));
      store.upsertAddress(id, ipv4Of(i), 4, { arp: true, traffic: true }, traffic(first, last, i + 1));
      if (i % 2 === 0) store.upsertAddress(id, ipv6Of(i), 6, { traffic: true }, traffic(first, last, 1));
      store.upsertVlan(id, 100 + (i % 3), first, last);
    }
    for (let j = 0; j < ROUTED_DEVICES; j++) {
      const first = T0 + (LAYER2_DEVICES + j) * HOUR;
      const id = store.ipDeviceId(`203.0.113.${j + 1}`, first);
      store.addTraffic(id, traffic(first, first + HOUR / 2, 3));
      store.upsertAddress(id, `203.0.113.${j + 1}`, 4, { traffic: true }, traffic(first, first + HOUR / 2, 3));
    }
    store.upsertService(1, 'tcp', 104, 2, T0, T0 + HOUR);
    store.upsertObservation(1, 'dhcp', JSON.stringify({ hostname: 'pacs-01', vendor_class: 'MSFT 5.0' }), T0, T0 + HOUR, 3);
    store.upsertObservation(1, 'mdns', JSON.stringify({ hostname: 'pacs-01', service_types: ['_dicom._tcp'] }), T0 + HOUR, T0 + HOUR, 1);
    store.upsertService(2, 'tcp', 2575, 1, T0 + HOUR, T0 + HOUR);
    store.upsertService(2, 'udp', 161, 4, T0 + HOUR, T0 + 2 * HOUR);
    store.upsertEdge({
      clientDeviceId: 2, serverDeviceId: 1, clientIp: ipv4Of(1), serverIp: ipv4Of(0), transport: 'tcp', port: 104,
      flows: 2, ...traffic(T0 + HOUR, T0 + HOUR + 60_000, 40),
    });
    store.upsertEdge({
      clientDeviceId: 2, serverDeviceId: 0, clientIp: ipv4Of(1), serverIp: '192.0.2.99', transport: 'tcp', port: 443,
      flows: 1, ...traffic(T0 + 2 * HOUR, T0 + 2 * HOUR + 1000, 3),
    });
    store.ingests.finish(done, { status: 'complete', frames: 1234, bytes: 567_890, malformed: 1, unsupported: 2, flows: 42 });
    store.ingests.start({ kind: 'live', source: 'eth1' });
  });
  store.close();
  return path;
}
