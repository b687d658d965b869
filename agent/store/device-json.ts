/**
 * The device object as users see it, in the CLI (`auscult devices --format json`) and the API alike.
 * One TypeBox schema: it types the code, validates and serialises API responses, and feeds OpenAPI.
 * Keys are snake_case; times are ISO 8601 UTC strings (capture time).
 */
import { Type, type Static } from 'typebox';
import { Finding, Risk } from './finding-json.js';

const Iso = (description: string) => Type.String({ format: 'date-time', description });

const ClinicalProtocol = Type.Object({
  protocol: Type.String({ description: 'dicom, hl7, poct1a, sdc (IEEE 11073 SDC discovery), intellivue, bacnet' }),
  roles: Type.Array(Type.String(), { description: 'roles the device took: scu/scp (DICOM), sender/acknowledger (HL7), device (POCT1-A), target/client (SDC)...' }),
  cleartext: Type.Boolean({ description: 'seen in clear text: its contents were readable on the wire' }),
  encrypted: Type.Boolean({ description: 'seen inside TLS: DICOM on the dicom-tls port 2762, or TLS between known DICOM peers' }),
  first_seen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  last_seen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** The `clinical` block (type in clinical.ts, built there). */
export const ClinicalSchema = Type.Union([
  Type.Object({
    protocols: Type.Array(ClinicalProtocol),
    cleartext: Type.Boolean({ description: 'some clinical traffic of this device was readable on the wire' }),
    facts: Type.Record(Type.String(), Type.Record(Type.String(), Type.Array(Type.Unknown())), {
      description: 'facts.<protocol>.<field> = distinct values (README: Clinical protocols); never patient data',
    }),
  }),
  Type.Null(),
], { description: 'clinical protocols the device speaks and what they revealed; null when none' });

export const DeviceAddress = Type.Object({
  ip: Type.String({ description: 'IPv4 or IPv6 address in text form' }),
  version: Type.Union([Type.Literal(4), Type.Literal(6)]),
  sources: Type.Array(Type.Union([
    Type.Literal('arp'), Type.Literal('ndp'), Type.Literal('dhcp'), Type.Literal('dhcpv6'), Type.Literal('lldp'), Type.Literal('cdp'), Type.Literal('traffic'),
  ]), {
    description: 'how the binding is known: ARP sender, IPv6 neighbor advertisement (override flag), DHCP ACK or DHCPv6 REPLY to this MAC, LLDP/CDP management address the '
      + 'device reported (not seen in traffic), or IP traffic sourced with this MAC',
  }),
  dhcp_lease_seconds: Type.Union([Type.Integer(), Type.Null()], { description: 'option 51 of the last DHCP ACK, or the valid lifetime of the last DHCPv6 REPLY' }),
  first_seen: Iso('first packet binding this address to the device'),
  last_seen: Iso('last packet binding this address to the device'),
});

/** A device whose MAC was read from another device's message (HL7 OBX-18 EUI-64), not from a frame. */
export const Derivation = Type.Object({
  from_device: Type.Union([Type.Integer(), Type.Null()], { description: 'id of the device that sent the message' }),
  protocol: Type.String({ description: 'protocol of that message: hl7' }),
  field: Type.String({ description: 'field the MAC was read from: OBX-18 (Equipment Instance Identifier, an EUI-64 embedding the MAC)' }),
  message_type: Type.Union([Type.String(), Type.Null()], { description: 'message type that carried it: ORU^R01' }),
  mac_source: Type.String({ description: 'where the MAC address came from, in words: "hl7 OBX-18 EUI-64 from device 1"' }),
});

export const DeviceService = Type.Object({
  transport: Type.String({ description: 'tcp (answered a SYN with SYN+ACK) or udp (replied from this port)' }),
  port: Type.Integer(),
  flows: Type.Integer({ description: 'conversations in which the device answered on this port' }),
  first_seen: Iso('first answer'),
  last_seen: Iso('last answer'),
});

export const Hostname = Type.Object({
  name: Type.String(),
  source: Type.String({ description: 'protocol that carried it: dhcp (option 12), mdns, netbios, lldp, snmp (sysName), smb...' }),
  first_seen: Iso('first message naming it'),
  last_seen: Iso('last message naming it'),
});

/** Protocol facts: evidence.<protocol>.<field> = distinct values seen, most recent first (at most 20). */
export const Evidence = Type.Record(Type.String(), Type.Record(Type.String(), Type.Array(Type.Unknown())), {
  description: 'facts each protocol revealed about the device, by protocol then field (see README: Evidence)',
});

export const Device = Type.Object({
  id: Type.Integer({ description: 'stable device id in this database' }),
  mac: Type.Union([Type.String(), Type.Null()], { description: 'layer-2 address; null for devices known only by IP' }),
  mac_vendor: Type.Union([Type.String(), Type.Null()], {
    description: 'IEEE registry organisation of the MAC, "(locally administered)" for randomised MACs, null when unknown',
  }),
  mac_locally_administered: Type.Boolean({ description: 'U/L bit set: randomised or software-assigned MAC' }),
  kind: Type.Union([Type.Literal('layer2'), Type.Literal('routed'), Type.Literal('derived')], {
    description: 'layer2: seen with its own MAC on the monitored segment; routed: known only by IP (behind a router); '
      + 'derived: never seen on the wire, known from another device\'s message (see derived)',
  }),
  derived: Type.Optional(Type.Union([Derivation], {
    description: 'present for a device known from another device\'s message: where it came from (kept once it is also seen on the wire)',
  })),
  is_router: Type.Boolean({ description: 'the MAC sources traffic for many IP addresses' }),
  ips: Type.Array(DeviceAddress),
  vlans: Type.Array(Type.Integer(), { description: '802.1Q VLAN ids the device was seen on (outer tag)' }),
  first_seen: Iso('first packet from or to the device'),
  last_seen: Iso('last packet from or to the device'),
  packets: Type.Integer({ description: 'packets sent plus received' }),
  bytes: Type.Integer({ description: 'bytes on the wire, sent plus received' }),
  packets_sent: Type.Integer(),
  bytes_sent: Type.Integer(),
  packets_received: Type.Integer(),
  bytes_received: Type.Integer(),
  services: Type.Array(DeviceService, { description: 'ports the device answers on' }),
  hostnames: Type.Array(Hostname, { description: 'names the device gives itself, with the protocol each came from' }),
  evidence: Evidence,
  clinical: ClinicalSchema,
  vendor: Type.Union([Type.String(), Type.Null()], { description: 'identified manufacturer (see classification for why)' }),
  model: Type.Union([Type.String(), Type.Null()], { description: 'identified model' }),
  category: Type.String({ description: 'category id from fingerprints/categories.yaml (README: Categories); unknown when nothing matched' }),
  criticality: Type.Union([Type.String(), Type.Null()], { description: 'life-sustaining, diagnostic or supporting for clinical categories, else null' }),
  os: Type.Union([Type.String(), Type.Null()], { description: 'identified operating system' }),
  firmware: Type.Union([Type.String(), Type.Null()], { description: 'identified firmware or software version' }),
  confidence: Type.Integer({ minimum: 0, maximum: 100, description: 'confidence of the category (else vendor, else OS), 0..100' }),
  medical: Type.Boolean({ description: 'a medical device: clinical category, or a medical-manufacturer identity' }),
  classification: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description: 'the explanation: per field its value, confidence, alternatives, and the signatures and evidence behind it (null before the first classification)',
  }),
  findings: Type.Array(Finding, { description: 'security findings with their evidence, open first (README: Findings)' }),
  risk: Risk,
});
export type Device = Static<typeof Device>;

export const DeviceObservation = Type.Object({
  source: Type.String({ description: 'dissector that produced it' }),
  fields: Type.Record(Type.String(), Type.Unknown(), { description: 'the facts, as the dissector documents them' }),
  first_seen: Iso('first packet carrying exactly these facts'),
  last_seen: Iso('last packet carrying exactly these facts'),
  count: Type.Integer({ description: 'packets or messages that carried them' }),
});
export type DeviceObservation = Static<typeof DeviceObservation>;

export const Peer = Type.Object({
  role: Type.Union([Type.Literal('client'), Type.Literal('server')], { description: 'this device\'s role in the conversation' }),
  local_ip: Type.String(),
  peer_ip: Type.String(),
  peer_device_id: Type.Union([Type.Integer(), Type.Null()], { description: 'null when the peer is not a known device' }),
  transport: Type.String(),
  port: Type.Integer({ description: 'server port (0 for protocols without ports)' }),
  flows: Type.Integer(),
  packets_sent: Type.Integer({ description: 'packets this device sent to the peer' }),
  bytes_sent: Type.Integer(),
  packets_received: Type.Integer(),
  bytes_received: Type.Integer(),
  tls: Type.Boolean({ description: 'a TLS handshake was seen on this conversation (TCP)' }),
  first_seen: Iso('first packet'),
  last_seen: Iso('last packet'),
});
export type Peer = Static<typeof Peer>;

export const DeviceDetail = Type.Intersect([Device, Type.Object({ peers: Type.Array(Peer) })]);
export type DeviceDetail = Static<typeof DeviceDetail>;
