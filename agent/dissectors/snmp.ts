/**
 * SNMP v1/v2c (RFC 1157, RFC 3416) and the cleartext header of v3 (RFC 3412/3414), on UDP 161/162.
 * An agent's responses and notifications name it: sysDescr, sysObjectID, sysContact, sysName,
 * sysLocation, and for v1 traps the enterprise and agent address. A request marks its sender as a
 * manager and says what it polls. Community strings are passwords: they are skipped unread, never
 * stored; only the fact that one crossed the wire in clear is kept (`community_seen`).
 */
import { isGroupMac, ipToString, macAt } from '../decode/format.js';
import type { PacketView } from '../decode/packet-view.js';
import { BerTag, berInt, berOid, decodeText, hexOf, newTlv, oidEquals, readTag, readTlv } from './ber.js';
import { receiverOf, senderOf } from './sender.js';
import type { Observation, PacketDissector } from './types.js';

/** Fields of an `snmp` observation (one per message). */
export interface SnmpFields {
  /** Message version: v1, v2c (community-based) or v3. */
  version: 'v1' | 'v2c' | 'v3';
  /** v1/v2c: a community string crossed the network in clear text (its value is never kept). */
  community_seen?: boolean;
  /**
   * v1/v2c: the community was a default one, `public` or `private` (compared in place with the packet's
   * bytes; the community itself is never copied, stored or logged).
   */
  default_community?: boolean;
  /** v1/v2c: agent (sent a response or a notification) or manager (sent a request, or acknowledged an inform). */
  role?: 'agent' | 'manager';
  /** v1/v2c PDU: get, get-next, response, set, trap, get-bulk, inform, snmpv2-trap, report. */
  pdu_type?: string;
  /** sysDescr.0 (1.3.6.1.2.1.1.1.0) from a response or notification: vendor, model, OS, version. */
  sys_descr?: string;
  /** sysObjectID.0 (1.3.6.1.2.1.1.2.0): the vendor's OID for the product (enterprise subtree). */
  sys_object_id?: string;
  /** sysContact.0 (1.3.6.1.2.1.1.4.0). */
  sys_contact?: string;
  /** sysName.0 (1.3.6.1.2.1.1.5.0); also given as `hostname`. */
  sys_name?: string;
  /** sysName.0: the name the agent gives itself. */
  hostname?: string;
  /** sysLocation.0 (1.3.6.1.2.1.1.6.0). */
  sys_location?: string;
  /** v1 Trap-PDU enterprise OID (sysObjectID of the sender, or the trap's MIB subtree). */
  trap_enterprise?: string;
  /** v1 Trap-PDU agent-addr: the address the agent claims (0.0.0.0 not recorded). */
  trap_agent_addr?: string;
  /** v1 Trap-PDU generic-trap: coldStart, warmStart, linkDown, linkUp, authenticationFailure, egpNeighborLoss, enterpriseSpecific. */
  trap_generic?: string;
  /** v1 Trap-PDU specific-trap code. */
  trap_specific?: number;
  /** v2 Trap/Inform snmpTrapOID.0 (1.3.6.1.6.3.1.1.4.1.0): which notification this is. */
  trap_oid?: string;
  /** Request PDUs: the OIDs the manager asks for, in order, at most 16. */
  requested_oids?: string[];
  /** v3: msgAuthoritativeEngineID (USM, hex), about the engine that owns it (see `parseV3`). */
  engine_id?: string;
}

const PDU_NAMES = ['get', 'get-next', 'response', 'set', 'trap', 'get-bulk', 'inform', 'snmpv2-trap', 'report'];
const GENERIC_TRAPS = ['coldStart', 'warmStart', 'linkDown', 'linkUp', 'authenticationFailure', 'egpNeighborLoss', 'enterpriseSpecific'];
const PDU_GET = 0;
const PDU_GET_NEXT = 1;
const PDU_RESPONSE = 2;
const PDU_SET = 3;
const PDU_TRAP_V1 = 4;
const PDU_GET_BULK = 5;

/** 1.3.6.1.2.1.1 (system group) as encoded: the sys scalars are this, then <n>, 0. */
const SYSTEM_GROUP = Uint8Array.of(0x2b, 0x06, 0x01, 0x02, 0x01, 0x01);
/** 1.3.6.1.6.3.1.1.4.1.0 snmpTrapOID.0, encoded. */
const SNMP_TRAP_OID = Uint8Array.of(0x2b, 0x06, 0x01, 0x06, 0x03, 0x01, 0x01, 0x04, 0x01, 0x00);

const MAX_VARBINDS = 256;
const MAX_REQUESTED_OIDS = 16;
const MAX_TEXT = 512;
/** RFC 3411 SnmpEngineID is 5..32 octets. */
const MAX_ENGINE_ID = 32;
const USM = 3;
const REPORTABLE_FLAG = 0x04;

// Scratch headers reused across packets: walking a message allocates nothing.
const msg = newTlv();
const ver = newTlv();
const addr = newTlv();
const t = newTlv();
const pdu = newTlv();
const list = newTlv();
const vb = newTlv();
const name = newTlv();
const val = newTlv();

function tsMs(v: PacketView): number {
  return Math.floor(v.tsMicros / 1000);
}

/** A sys scalar value from an agent's varbind (`which` = 1 descr, 2 objectID, 4 contact, 5 name, 6 location). */
function takeSystemValue(b: Buffer, which: number, f: SnmpFields): void {
  if (which === 2) {
    if (val.tag === BerTag.OID) f.sys_object_id ??= berOid(b, val.off, val.len) ?? undefined;
    return;
  }
  if (val.tag !== BerTag.OCTET_STRING) return;
  const text = decodeText(b, val.off, val.len, MAX_TEXT);
  // An empty value means "not configured", not a name.
  if (text === '') return;
  if (which === 1) f.sys_descr ??= text;
  else if (which === 4) f.sys_contact ??= text;
  else if (which === 5) f.sys_name ??= text;
  else if (which === 6) f.sys_location ??= text;
}

/** The communities agents ship with (CVE-1999-0517), as bytes. */
const DEFAULT_COMMUNITIES = [Buffer.from('public', 'latin1'), Buffer.from('private', 'latin1')];

/** Whether `b[off .. off + len)` is a default community, compared in place. */
function isDefaultCommunity(b: Uint8Array, off: number, len: number): boolean {
  for (const c of DEFAULT_COMMUNITIES) {
    if (c.length !== len) continue;
    let same = true;
    for (let i = 0; i < len && same; i++) same = b[off + i] === c[i];
    if (same) return true;
  }
  return false;
}

export const snmp: PacketDissector<'snmp'> = {
  kind: 'packet',
  name: 'snmp',
  udpPorts: [161, 162],
  parse(v: PacketView): Observation<'snmp'>[] | null {
    const b = v.buf;
    const start = v.payloadOff;
    const end = start + v.payloadLen;
    // Not mine, cheaply: a message is a SEQUENCE whose first element is a one-byte INTEGER 0, 1 or 3.
    if (v.payloadLen < 8 || b[start] !== BerTag.SEQUENCE || v.ipVersion === 0) return null;
    if (!readTag(b, start, end, BerTag.SEQUENCE, msg)) return null;
    if (!readTag(b, msg.off, msg.end, BerTag.INTEGER, ver) || ver.len !== 1) return null;
    const version = b[ver.off];
    if (version === 3) return parseV3(v, ver.end);
    if (version !== 0 && version !== 1) return null;
    // The community: its bounds are checked; its octets are only compared with the defaults, never kept.
    if (!readTag(b, ver.end, msg.end, BerTag.OCTET_STRING, t)) return null;
    const defaultCommunity = isDefaultCommunity(b, t.off, t.len);
    if (!readTlv(b, t.end, msg.end, pdu) || pdu.end !== msg.end) return null;
    const kind = pdu.tag - 0xa0;
    if (kind < 0 || kind > 8 || (version === 0 && kind > PDU_TRAP_V1) || (version === 1 && kind === PDU_TRAP_V1)) return null;

    const f: SnmpFields = { version: version === 0 ? 'v1' : 'v2c', community_seen: true, pdu_type: PDU_NAMES[kind] };
    if (defaultCommunity) f.default_community = true;
    const isRequest = kind === PDU_GET || kind === PDU_GET_NEXT || kind === PDU_SET || kind === PDU_GET_BULK;
    // A response sent from port 162 acknowledges an inform: its sender is a manager, its values the agent's.
    const isManager = isRequest || (kind === PDU_RESPONSE && v.srcPort === 162 && v.dstPort !== 162);
    f.role = isManager ? 'manager' : 'agent';

    let q = pdu.off;
    let errorStatus = 0;
    if (kind === PDU_TRAP_V1) {
      if (!readTag(b, q, pdu.end, BerTag.OID, t)) return null;
      const enterprise = berOid(b, t.off, t.len);
      if (enterprise === null) return null;
      f.trap_enterprise = enterprise;
      if (!readTag(b, t.end, pdu.end, BerTag.IP_ADDRESS, addr) || addr.len !== 4) return null;
      const agentAddr = ipToString(b, addr.off, 4);
      if (agentAddr !== '0.0.0.0') f.trap_agent_addr = agentAddr;
      if (!readTag(b, addr.end, pdu.end, BerTag.INTEGER, t)) return null;
      const generic = berInt(b, t.off, t.len);
      if (generic === null) return null;
      f.trap_generic = GENERIC_TRAPS[generic] ?? `generic-${generic}`;
      if (!readTag(b, t.end, pdu.end, BerTag.INTEGER, t)) return null;
      const specific = berInt(b, t.off, t.len);
      if (specific === null) return null;
      f.trap_specific = specific;
      if (!readTag(b, t.end, pdu.end, BerTag.TIME_TICKS, t)) return null;
      q = t.end;
    } else {
      // request-id, error-status, error-index (non-repeaters, max-repetitions for get-bulk).
      for (let i = 0; i < 3; i++) {
        if (!readTag(b, q, pdu.end, BerTag.INTEGER, t)) return null;
        if (i === 1) errorStatus = berInt(b, t.off, t.len) ?? -1;
        q = t.end;
      }
    }
    if (!readTag(b, q, pdu.end, BerTag.SEQUENCE, list) || list.end !== pdu.end) return null;

    let p = list.off;
    for (let n = 0; p < list.end && n < MAX_VARBINDS; n++) {
      if (!readTag(b, p, list.end, BerTag.SEQUENCE, vb)) return null;
      if (!readTag(b, vb.off, vb.end, BerTag.OID, name)) return null;
      if (!readTlv(b, name.end, vb.end, val) || val.end !== vb.end) return null;
      p = vb.end;
      if (isRequest) {
        // Only the names: a set's values may be secrets (communities, keys) and describe nothing yet.
        const oids = (f.requested_oids ??= []);
        if (oids.length >= MAX_REQUESTED_OIDS) continue;
        const oid = berOid(b, name.off, name.len);
        if (oid === null) return null;
        oids.push(oid);
      } else if (!isManager && errorStatus === 0) {
        // An error response echoes the request's varbinds (a failed set: the manager's values), so only clean ones count.
        if (name.len === 8 && b[name.off + 7] === 0 && oidEquals(b, name.off, 6, SYSTEM_GROUP)) {
          takeSystemValue(b, b[name.off + 6], f);
        } else if (val.tag === BerTag.OID && oidEquals(b, name.off, name.len, SNMP_TRAP_OID)) {
          f.trap_oid ??= berOid(b, val.off, val.len) ?? undefined;
        }
      }
    }
    if (f.sys_name !== undefined) f.hostname = f.sys_name;
    return [{ device: senderOf(v), tsMs: tsMs(v), source: 'snmp', fields: { ...f } }];
  },
};

/**
 * SNMPv3: only the version and, when present, the authoritative engine ID (never the user name).
 * The authoritative engine is the receiver of confirmed-class PDUs (get, set, inform: the
 * reportable flag is set) and the sender of the others (response, trap, report), RFC 3414 3.1.1;
 * the flag is readable even when the PDU is encrypted.
 */
function parseV3(v: PacketView, afterVersion: number): Observation<'snmp'>[] | null {
  const b = v.buf;
  // msgGlobalData: msgID, msgMaxSize, msgFlags (1 octet), msgSecurityModel.
  if (!readTag(b, afterVersion, msg.end, BerTag.SEQUENCE, list)) return null;
  if (!readTag(b, list.off, list.end, BerTag.INTEGER, t)) return null;
  if (!readTag(b, t.end, list.end, BerTag.INTEGER, t)) return null;
  if (!readTag(b, t.end, list.end, BerTag.OCTET_STRING, addr) || addr.len !== 1) return null;
  const flags = b[addr.off];
  if (!readTag(b, addr.end, list.end, BerTag.INTEGER, t)) return null;
  const model = berInt(b, t.off, t.len);
  if (!readTag(b, list.end, msg.end, BerTag.OCTET_STRING, t)) return null;
  const f: SnmpFields = { version: 'v3' };
  let device = senderOf(v);
  // USM security parameters: a SEQUENCE inside the OCTET STRING, engine ID first.
  if (model === USM && readTag(b, t.off, t.end, BerTag.SEQUENCE, vb) && readTag(b, vb.off, vb.end, BerTag.OCTET_STRING, name)) {
    if (name.len > 0 && name.len <= MAX_ENGINE_ID) {
      const toReceiver = (flags & REPORTABLE_FLAG) !== 0;
      if (!toReceiver) {
        f.engine_id = hexOf(b, name.off, name.len, MAX_ENGINE_ID);
      } else if (v.dstMacOff < 0 || !isGroupMac(macAt(b, v.dstMacOff))) {
        f.engine_id = hexOf(b, name.off, name.len, MAX_ENGINE_ID);
        device = receiverOf(v);
      }
    }
  }
  return [{ device, tsMs: tsMs(v), source: 'snmp', fields: { ...f } }];
}
