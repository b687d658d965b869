/** GET /api/v1/graph and /api/v1/summary over the API's fixture inventory. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subnetOf } from '../../agent/store/graph-query.js';
import { StoreReader } from '../../agent/store/reader.js';
import { testApp, type TestApp } from '../testing/test-app.js';
import { buildFixtureDatabase, ipv4Of, LAYER2_DEVICES, TOTAL_DEVICES } from '../testing/fixture-db.js';

let reader: StoreReader;
let app: TestApp;

beforeAll(async () => {
  reader = StoreReader.open(buildFixtureDatabase());
  app = await testApp(reader, { web: false });
});
afterAll(async () => {
  await app.close();
  reader.close();
});

interface Graph { nodes: { id: number; label: string; vlan: number | null; subnet: string | null; matched: boolean; packets: number }[]; edges: { source: number; target: number; protocol: string; port: number; packets: number; bytes: number }[]; total_nodes: number; truncated: boolean }

describe('GET /api/v1/graph', () => {
  it('has every device as a node and the conversations between two known devices as edges', async () => {
    const r = await app.inject('/api/v1/graph');
    expect(r.statusCode).toBe(200);
    const g = r.json() as Graph;
    expect(g.nodes).toHaveLength(TOTAL_DEVICES);
    expect(g.total_nodes).toBe(TOTAL_DEVICES);
    expect(g.truncated).toBe(false);
    // Device 2 talks DICOM to device 1; its HTTPS to a host that never answered has no second node.
    expect(g.edges).toEqual([{ source: 2, target: 1, transport: 'tcp', port: 104, protocol: 'dicom', flows: 2, packets: 120, bytes: 10_000, tls: false }]);
    const pacs = g.nodes.find((n) => n.id === 1);
    expect(pacs).toMatchObject({ label: 'pacs-01', vlan: 100, subnet: '10.0.0.0/24', ip: ipv4Of(0), matched: true });
    // The most active first.
    expect(g.nodes.map((n) => n.packets)).toEqual([...g.nodes.map((n) => n.packets)].sort((a, b) => b - a));
  });

  it('cuts at max_nodes, most active first, and says so', async () => {
    const g = (await app.inject('/api/v1/graph?max_nodes=5')).json() as Graph;
    expect(g.nodes).toHaveLength(5);
    expect(g).toMatchObject({ total_nodes: TOTAL_DEVICES, truncated: true });
  });

  it('takes the list\'s filters, and peers=true adds the devices they talk to', async () => {
    const only = (await app.inject('/api/v1/graph?mac=00:1b:21:00:00:01')).json() as Graph;
    expect(only.nodes.map((n) => n.id)).toEqual([2]);
    expect(only.edges).toEqual([]);
    const withPeers = (await app.inject('/api/v1/graph?mac=00:1b:21:00:00:01&peers=true')).json() as Graph;
    expect(withPeers.nodes.map((n) => [n.id, n.matched]).sort()).toEqual([[1, false], [2, true]]);
    expect(withPeers.edges).toHaveLength(1);
  });

  it('rejects what the list rejects, with the reason', async () => {
    expect((await app.inject('/api/v1/graph?mac=nope')).json().message).toMatch(/not a MAC address/);
    expect((await app.inject('/api/v1/graph?max_nodes=0')).statusCode).toBe(400);
    expect((await app.inject('/api/v1/graph?colour=red')).statusCode).toBe(400);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/graph', '/api/v1/summary']));
  });
});

describe('GET /api/v1/summary', () => {
  it('counts devices, with the filters when given', async () => {
    const all = (await app.inject('/api/v1/summary')).json() as { devices: number; medical: number; by_category: { category: string; devices: number }[] };
    expect(all.devices).toBe(TOTAL_DEVICES);
    expect(all.by_category).toEqual([{ category: 'unknown', devices: TOTAL_DEVICES }]);
    const some = (await app.inject('/api/v1/summary?vendor=philips')).json() as { devices: number };
    expect(some.devices).toBe(LAYER2_DEVICES / 5);
    expect((await app.inject('/api/v1/summary?category=not-a-category')).statusCode).toBe(400);
  });
});

describe('subnetOf', () => {
  it('gives the /24 of IPv4 and the /64 of IPv6 addresses', () => {
    expect(subnetOf('10.1.2.3')).toBe('10.1.2.0/24');
    expect(subnetOf('fe80::21b:21ff:fe00:1')).toBe('fe80:0:0:0::/64');
    expect(subnetOf('2001:db8:1:2:3::1')).toBe('2001:db8:1:2::/64');
    expect(subnetOf(null)).toBe(null);
  });
});
