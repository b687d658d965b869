/**
 * The communication graph: devices as nodes, their conversations aggregated into edges (one per client,
 * server, transport and port), for the web page's map. One query for the nodes, one for the edges, so a
 * map of a few thousand devices is one response.
 */
import type { Classification } from '../identify/index.js';
import { deviceFilterSql, type DeviceFilter } from './device-query.js';
import type { Statements } from './statements.js';
import { VENDOR_DEVICE_IDS } from './vendor-filter.js';

export interface GraphOptions {
  /** Devices that must be nodes (the list's filters). */
  filter: Omit<DeviceFilter, 'afterId' | 'limit'>;
  /** Also the devices the matching ones talk to (as client or server). */
  withPeers: boolean;
  /** At most this many nodes, the most active first (by packets); the edges among them. */
  maxNodes: number;
}

export interface GraphNode {
  id: number;
  label: string;
  mac: string | null;
  ip: string | null;
  vendor: string | null;
  model: string | null;
  category: string;
  medical: boolean;
  /** Lowest VLAN id the device was seen on, null when untagged. */
  vlan: number | null;
  /** The /24 (IPv4) or /64 (IPv6) of its first address, null without one. */
  subnet: string | null;
  packets: number;
  bytes: number;
  /** A device of the filter (false: a peer added by withPeers). */
  matched: boolean;
}

export interface GraphEdge {
  source: number;
  target: number;
  transport: string;
  port: number;
  flows: number;
  packets: number;
  bytes: number;
  tls: boolean;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Nodes that matched (and peers) before the cut at maxNodes. */
  total_nodes: number;
  truncated: boolean;
}

interface NodeRow {
  id: number; mac: string | null; routed_ip: string | null; mac_vendor: string | null; packets: number; bytes: number;
  ip: string | null; vlan: number | null; hostname: string | null; result: string | null;
}

/** `10.1.2.0/24`, `fe80:0:0:0::/64` style network of an address (text as stored). */
export function subnetOf(ip: string | null): string | null {
  if (ip === null) return null;
  if (ip.includes('.') && !ip.includes(':')) {
    const p = ip.split('.');
    return p.length === 4 ? `${p[0]}.${p[1]}.${p[2]}.0/24` : null;
  }
  // Expand `::` to count groups, then keep the first four.
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class GraphQuery {
  constructor(private readonly statements: Statements) {}

  /** Devices matching a filter, and how many of them are medical. */
  count(filter: Omit<DeviceFilter, 'afterId' | 'limit'>): { devices: number; medical: number } {
    const { where, params } = deviceFilterSql(filter);
    // A device's medical flag from classifications_medical (a covering index; the planner, left alone,
    // reads the classification row, JSON included: 3 to 8 times slower).
    const medicalFlag = 'EXISTS (SELECT 1 FROM classifications m INDEXED BY classifications_medical WHERE m.medical = 1 AND m.device_id = d.id)';
    // A filter that reads the classification (category, medical) counts in one pass over the join; the
    // flag as the filter reads it (medical: from that index already).
    if (where.some((w) => /\bc\./.test(w))) {
      const flag = filter.medical === undefined ? medicalFlag : 'c.medical = 1';
      return this.statements
        .get(`SELECT count(*) AS devices, coalesce(sum(${flag}), 0) AS medical FROM devices d LEFT JOIN classifications c ON c.device_id = d.id WHERE ${where.join(' AND ')}`)
        .get(params) as { devices: number; medical: number };
    }
    // No filter: the devices, and the medical ones through classifications_medical.
    if (where.length === 0) {
      const devices = this.statements.get('SELECT count(*) FROM devices').pluck().get() as number;
      const medical = this.statements.get('SELECT count(*) FROM classifications WHERE medical = 1').pluck().get() as number;
      return { devices, medical };
    }
    // A vendor alone: its matching ids are the devices. Reading every device's classification row cost
    // 0.15 s of CPU a count at 100 k devices (bench:web); LIKE over every device's vendors 0.5 s.
    if (where.length === 1 && filter.vendor !== undefined) {
      return this.statements
        .get(`SELECT count(*) AS devices, coalesce(sum(${medicalFlag}), 0) AS medical FROM (${VENDOR_DEVICE_IDS}) d`)
        .get(params) as { devices: number; medical: number };
    }
    const filtered = `FROM devices d WHERE ${where.join(' AND ')}`;
    const devices = this.statements.get(`SELECT count(*) ${filtered}`).pluck().get(params) as number;
    // The medical ones: few devices (a quarter at most), each one's flag; many, the medical devices checked
    // against the filter (the last 1 % seen: 0.5 ms against 30 ms; all of them: 30 ms against 160 ms).
    const lastId = this.statements.get('SELECT coalesce(max(id), 0) FROM devices').pluck().get() as number;
    const medical = devices * 4 <= lastId
      ? this.statements.get(`SELECT count(*) ${filtered} AND ${medicalFlag}`).pluck().get(params) as number
      : this.statements
        .get(`SELECT count(*) FROM devices d JOIN classifications c ON c.device_id = d.id WHERE ${['c.medical = 1', ...where].join(' AND ')}`)
        .pluck().get(params) as number;
    return { devices, medical };
  }

  graph(o: GraphOptions): Graph {
    const { where, params } = deviceFilterSql(o.filter);
    const matchedSql = `SELECT d.id FROM devices d LEFT JOIN classifications c ON c.device_id = d.id${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const candidates = o.withPeers
      ? `${matchedSql}
         UNION SELECT server_device_id FROM edges WHERE server_device_id <> 0 AND client_device_id IN (${matchedSql})
         UNION SELECT client_device_id FROM edges WHERE client_device_id <> 0 AND server_device_id IN (${matchedSql})`
      : matchedSql;
    const total = this.statements.get(`SELECT count(*) FROM (${candidates})`).pluck().get(params) as number;
    const rows = this.statements
      .get(
        `SELECT d.id, d.mac, d.routed_ip, d.mac_vendor,
                d.packets_sent + d.packets_received AS packets, d.bytes_sent + d.bytes_received AS bytes,
                (SELECT ip FROM device_ips WHERE device_id = d.id ORDER BY version, first_seen, ip LIMIT 1) AS ip,
                (SELECT min(vlan) FROM device_vlans WHERE device_id = d.id) AS vlan,
                (SELECT json_extract(fields, '$.hostname') FROM observations
                   WHERE device_id = d.id AND json_extract(fields, '$.hostname') IS NOT NULL
                   ORDER BY last_seen DESC LIMIT 1) AS hostname,
                c.result
         FROM devices d LEFT JOIN classifications c ON c.device_id = d.id
         WHERE d.id IN (${candidates})
         ORDER BY packets DESC, d.id LIMIT @maxNodes`,
      )
      .all({ ...params, maxNodes: o.maxNodes }) as NodeRow[];
    const matched = new Set(
      o.withPeers ? (this.statements.get(matchedSql).pluck().all(params) as number[]) : rows.map((r) => r.id),
    );
    const nodes = rows.map((r) => toNode(r, matched.has(r.id)));
    const ids = JSON.stringify(nodes.map((n) => n.id));
    const edges = (this.statements
      .get(
        `SELECT client_device_id AS source, server_device_id AS target, transport, port, sum(flows) AS flows,
                sum(packets_to_server + packets_to_client) AS packets, sum(bytes_to_server + bytes_to_client) AS bytes,
                max(tls) AS tls
         FROM edges
         WHERE client_device_id IN (SELECT value FROM json_each(@ids)) AND server_device_id IN (SELECT value FROM json_each(@ids))
           AND client_device_id <> server_device_id
         GROUP BY client_device_id, server_device_id, transport, port
         ORDER BY source, target, transport, port`,
      )
      .all({ ids }) as (Omit<GraphEdge, 'tls'> & { tls: number })[]).map((e) => ({ ...e, tls: e.tls === 1 }));
    return { nodes, edges, total_nodes: total, truncated: total > nodes.length };
  }
}

function toNode(r: NodeRow, matched: boolean): GraphNode {
  const c = r.result === null ? null : (JSON.parse(r.result) as Classification);
  const vendor = c?.vendor.value ?? null;
  const model = c?.model.value ?? null;
  const ip = r.ip ?? r.routed_ip;
  const label = r.hostname ?? ([vendor, model].filter((v) => v !== null).join(' ') || (r.mac_vendor !== null && r.mac !== null ? `${r.mac_vendor.split(/[ ,]/)[0]} ${r.mac.slice(9)}` : null) || ip || r.mac || `device ${r.id}`);
  return {
    id: r.id, label, mac: r.mac, ip, vendor, model, category: c?.category.value ?? 'unknown', medical: c?.medical ?? false,
    vlan: r.vlan, subnet: subnetOf(ip), packets: r.packets, bytes: r.bytes, matched,
  };
}
