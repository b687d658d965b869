/**
 * The communication map's data: devices as nodes and their conversations aggregated into edges, with the
 * device list's filters, in one response (the web page draws it with Cytoscape.js).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { StoreReader } from '../../agent/store/reader.js';
import { ERROR_RESPONSES } from '../errors.js';
import { builtinFingerprintsDir, loadCategoryIds } from '../../agent/identify/index.js';
import { categoryCheck, DEVICE_FILTER_PARAMS, filterOfQuery } from './devices.js';

export interface GraphRoutesOptions {
  reader: StoreReader;
  categories?: readonly string[];
}

export const DEFAULT_GRAPH_NODES = 2000;
export const MAX_GRAPH_NODES = 5000;

/** Names of well-known server ports, for edge labels (IANA service names; DICOM, HL7 and the clinical ones first). */
export const PORT_NAMES: Readonly<Record<string, string>> = {
  'tcp/104': 'dicom', 'tcp/11112': 'dicom', 'tcp/2762': 'dicom-tls', 'tcp/2575': 'hl7', 'tcp/4001': 'poct1a',
  'udp/24005': 'intellivue', 'udp/24105': 'intellivue', 'udp/3702': 'ws-discovery', 'udp/47808': 'bacnet',
  'tcp/20': 'ftp-data', 'tcp/21': 'ftp', 'tcp/22': 'ssh', 'tcp/23': 'telnet', 'tcp/25': 'smtp', 'udp/53': 'dns', 'tcp/53': 'dns',
  'udp/67': 'dhcp', 'udp/69': 'tftp', 'tcp/80': 'http', 'udp/123': 'ntp', 'udp/137': 'netbios-ns', 'udp/138': 'netbios-dgm',
  'tcp/139': 'netbios-ssn', 'udp/161': 'snmp', 'udp/162': 'snmp-trap', 'tcp/389': 'ldap', 'tcp/443': 'https', 'tcp/445': 'smb',
  'udp/514': 'syslog', 'udp/546': 'dhcpv6', 'udp/547': 'dhcpv6', 'tcp/636': 'ldaps', 'udp/1900': 'ssdp', 'tcp/3389': 'rdp',
  'udp/5353': 'mdns', 'udp/5355': 'llmnr', 'tcp/5900': 'vnc', 'tcp/5938': 'teamviewer', 'tcp/8080': 'http-alt', 'tcp/8443': 'https-alt',
};

const GraphQueryString = Type.Object(
  {
    ...DEVICE_FILTER_PARAMS,
    peers: Type.Optional(Type.Boolean({ default: false, description: 'also the devices the matching ones talk to (e.g. medical=true&peers=true: medical devices and their peers)' })),
    max_nodes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_GRAPH_NODES, default: DEFAULT_GRAPH_NODES, description: 'at most this many nodes, the most active first' }),
    ),
  },
  { additionalProperties: false },
);

const GraphNode = Type.Object({
  id: Type.Integer({ description: 'device id (GET /api/v1/devices/{id})' }),
  label: Type.String({ description: 'host name, else identified vendor and model, else MAC vendor, address' }),
  mac: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()], { description: 'first address (IPv4 first)' }),
  vendor: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  category: Type.String(),
  medical: Type.Boolean(),
  vlan: Type.Union([Type.Integer(), Type.Null()], { description: 'lowest VLAN id the device was seen on' }),
  subnet: Type.Union([Type.String(), Type.Null()], { description: '/24 (IPv4) or /64 (IPv6) of its first address' }),
  packets: Type.Integer(),
  bytes: Type.Integer(),
  matched: Type.Boolean({ description: 'matches the filters (false: a peer added by peers=true)' }),
});

const GraphEdge = Type.Object({
  source: Type.Integer({ description: 'client device id' }),
  target: Type.Integer({ description: 'server device id' }),
  transport: Type.String(),
  port: Type.Integer({ description: 'server port' }),
  protocol: Type.String({ description: 'well-known name of transport/port, else transport/port' }),
  flows: Type.Integer(),
  packets: Type.Integer({ description: 'both directions' }),
  bytes: Type.Integer({ description: 'both directions' }),
  tls: Type.Boolean({ description: 'a TLS handshake was seen on one of its conversations' }),
});

const Graph = Type.Object(
  {
    nodes: Type.Array(GraphNode),
    edges: Type.Array(GraphEdge, { description: 'conversations between two nodes, one per client, server, transport and port' }),
    total_nodes: Type.Integer({ description: 'devices that matched (with peers) before the cut at max_nodes' }),
    truncated: Type.Boolean({ description: 'more devices matched than max_nodes' }),
  },
  { description: 'Nodes and aggregated edges of the communication map' },
);

const graphRoutes: FastifyPluginAsyncTypebox<GraphRoutesOptions> = async (app, opts) => {
  const checkCategory = categoryCheck(opts.reader, opts.categories ?? loadCategoryIds({ builtinDir: builtinFingerprintsDir() }));
  const filterOf = (q: Parameters<typeof filterOfQuery>[0]) => filterOfQuery(q, checkCategory);
  app.get(
    '/graph',
    {
      schema: {
        summary: 'Communication map',
        description:
          'Devices matching the filters (and with peers=true the devices they talk to) as nodes, the most active first, ' +
          'and the conversations among them aggregated per client, server, transport and port.',
        tags: ['devices'],
        querystring: GraphQueryString,
        response: { 200: Graph, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const { peers, max_nodes: maxNodes, ...filters } = req.query;
      const g = opts.reader.graph({ filter: filterOf(filters), withPeers: peers ?? false, maxNodes: maxNodes ?? DEFAULT_GRAPH_NODES });
      return {
        ...g,
        edges: g.edges.map((e) => ({ ...e, protocol: PORT_NAMES[`${e.transport}/${e.port}`] ?? (e.port ? `${e.transport}/${e.port}` : e.transport) })),
      };
    },
  );

  app.get(
    '/summary',
    {
      schema: {
        summary: 'Inventory at a glance',
        description:
          'Devices (matching the filters, if any), how many are medical, and devices by category (of all devices): the overview and the inventory\'s total.',
        tags: ['devices'],
        querystring: Type.Object(DEVICE_FILTER_PARAMS, { additionalProperties: false }),
        response: {
          200: Type.Object({
            devices: Type.Integer({ description: 'devices matching the filters' }),
            medical: Type.Integer({ description: 'medical devices among them' }),
            by_category: Type.Array(Type.Object({ category: Type.String(), devices: Type.Integer() }), { description: 'most first; unclassified devices count as unknown' }),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (req) => opts.reader.snapshot(() => {
      const filter = filterOf(req.query);
      const { devices, medical } = opts.reader.countDevices(filter);
      // Without a filter the total is that count (one pass fewer at 100 k devices).
      const total = Object.values(filter).every((v) => v === undefined) ? devices : opts.reader.countDevices({}).devices;
      const { byCategory } = opts.reader.classificationSummary();
      const classified = Object.values(byCategory).reduce((a, b) => a + b, 0);
      const counts = { ...byCategory };
      if (total > classified) counts.unknown = (counts.unknown ?? 0) + total - classified;
      const by_category = Object.entries(counts).map(([category, n]) => ({ category, devices: n })).sort((a, b) => b.devices - a.devices || a.category.localeCompare(b.category));
      return { devices, medical, by_category };
    }),
  );
};

export default graphRoutes;
