/**
 * DICOM upper layer protocol (PS3.8 section 9), on any TCP port: recognised by its PDU structure
 * (PS3.8 9.3.1: type 01H-07H, a reserved 00H byte, a 4-byte big-endian length), not by port 104.
 *
 * - A-ASSOCIATE-RQ (9.3.2): the requester is the SCU. Its AE titles, application context, proposed
 *   presentation contexts, maximum PDU length, Implementation Class UID and Version Name (PS3.7 D.3.3).
 * - A-ASSOCIATE-AC (9.3.3) / -RJ (9.3.4): the acceptor is the SCP. Which contexts it accepted, its own
 *   implementation, or why it refused. A-ABORT (9.3.8): who aborted and why.
 * - P-DATA-TF (9.3.5): the DIMSE commands the sender issued (the Command Field (0000,0100) of each
 *   command set, PS3.7 9.3 and E.1) and, from the first C-STORE data set only, eight device and site
 *   attributes, read with the `dicom-parser` library. Command and data set fragments are reassembled
 *   across PDVs and PDUs, within the first bytes the pipeline keeps of each direction.
 * - Typed outputs: one InstanceSighting per C-STORE-RQ (its Affected SOP Instance UID (0000,1000), as a
 *   SHA-256 digest, sender, receiver, capture time). A data set describes the equipment that made the
 *   image, not necessarily its sender: the order of the sightings of one instance tells identification
 *   which device made it and which sent it on (agent/identify/dicom-images.ts).
 *
 * Patient data never leaves this module: of a data set, only the eight attributes in DEVICE_TAGS are
 * read (no group 0010 or 0020 attribute, no date, no accession number); C-FIND/C-MOVE identifiers and
 * every other data set are skipped unread; the user identity sub-item (58H) is reduced to its type; the
 * Affected SOP Instance UID of a C-STORE-RQ leaves only as a SHA-256 digest.
 * The rest is an allow-list of PDU fields of fixed shape: AE titles (16 characters of the default
 * repertoire without backslash, PS3.5 6.2 AE), UIDs (digits and dots, 64), the Implementation Version
 * Name (16 characters), numbers and enumerated results; dicom-dataset.ts gives the data set's.
 *
 * Both directions of an association meet here: each direction reports its sender, and, when the other
 * direction's start is in `peerData`, the association facts of the other end too (built by the same
 * functions, so the two copies are equal and the inventory keeps one). The acceptor's direction is
 * finished at its A-ASSOCIATE-AC/RJ; the requester's waits for its first C-STORE data set, a release or
 * an abort, or the end of what the pipeline keeps. By then the AC is usually gone from `peerData` (the
 * pipeline drops a finished direction), so the data set's encoding is guessed from its first bytes.
 */
import { createHash } from 'node:crypto';
import { countDropped } from './allow-list.js';
import { dicomUidName } from './dicom-uids.js';
import { deviceTags, type DeviceTagFields } from './dicom-dataset.js';
import type {
  DicomAbortFields, DicomAssociateAcFields, DicomAssociateRjFields, DicomAssociateRqFields, DicomFields, DicomPDataFields,
} from './dicom-fields.js';
import { FieldsInterner } from './intern.js';
import { streamReceiver, streamSender } from './sender.js';
import type { DeviceKey, InstanceSighting, Observation, StreamContext, StreamDissector, StreamVerdict } from './types.js';


const A_ASSOCIATE_RQ = 0x01;
const A_ASSOCIATE_AC = 0x02;
const A_ASSOCIATE_RJ = 0x03;
const P_DATA_TF = 0x04;
const A_RELEASE_RQ = 0x05;
const A_RELEASE_RP = 0x06;
const A_ABORT = 0x07;

const PDU_HEADER = 6;
/** A-ASSOCIATE-RQ/AC bytes after the header before the variable items (PS3.8 Table 9-11). */
const ASSOC_FIXED = 68;
/** Largest A-ASSOCIATE-RQ/AC believed: 128 contexts of 64-character UIDs fit in far less. */
const MAX_ASSOC_PDU = 1 << 20;
/** Bounds on what is kept: contexts (IDs are the odd numbers 1-255), distinct commands, instances, command set size. */
const MAX_CONTEXTS = 128;
const MAX_COMMANDS = 32;
const MAX_INSTANCES = 64;
const MAX_COMMAND_SET = 8192;
/** Implementation Version Name: 1 to 16 characters (PS3.7 D.3.3.2). */
const MAX_VERSION_NAME = 16;

const C_STORE_RQ = 0x0001;
const C_MOVE_RQ = 0x0021;
/** Command Data Set Type (0000,0800) value meaning "no data set" (PS3.7 E.1). */
const NO_DATA_SET = 0x0101;

/** Command Field values (PS3.7 Table E.1-1 and 9.3). */
const COMMANDS: ReadonlyMap<number, string> = new Map([
  [0x0001, 'C-STORE-RQ'], [0x8001, 'C-STORE-RSP'], [0x0010, 'C-GET-RQ'], [0x8010, 'C-GET-RSP'],
  [0x0020, 'C-FIND-RQ'], [0x8020, 'C-FIND-RSP'], [0x0021, 'C-MOVE-RQ'], [0x8021, 'C-MOVE-RSP'],
  [0x0030, 'C-ECHO-RQ'], [0x8030, 'C-ECHO-RSP'], [0x0fff, 'C-CANCEL-RQ'],
  [0x0100, 'N-EVENT-REPORT-RQ'], [0x8100, 'N-EVENT-REPORT-RSP'], [0x0110, 'N-GET-RQ'], [0x8110, 'N-GET-RSP'],
  [0x0120, 'N-SET-RQ'], [0x8120, 'N-SET-RSP'], [0x0130, 'N-ACTION-RQ'], [0x8130, 'N-ACTION-RSP'],
  [0x0140, 'N-CREATE-RQ'], [0x8140, 'N-CREATE-RSP'], [0x0150, 'N-DELETE-RQ'], [0x8150, 'N-DELETE-RSP'],
]);


const REJECT_RESULTS = ['', 'rejected-permanent', 'rejected-transient'];
const REJECT_SOURCES = ['', 'service-user', 'service-provider-acse', 'service-provider-presentation'];
/** Reasons by source (PS3.8 Table 9-21). */
const REJECT_REASONS: Record<number, Record<number, string>> = {
  1: { 1: 'no-reason-given', 2: 'application-context-name-not-supported', 3: 'calling-AE-title-not-recognized', 7: 'called-AE-title-not-recognized' },
  2: { 1: 'no-reason-given', 2: 'protocol-version-not-supported' },
  3: { 1: 'temporary-congestion', 2: 'local-limit-exceeded' },
};
const ABORT_SOURCES = ['service-user', 'reserved', 'service-provider'];
const ABORT_REASONS = ['reason-not-specified', 'unrecognized-PDU', 'unexpected-PDU', 'reserved-3',
  'unrecognized-PDU-parameter', 'unexpected-PDU-parameter', 'invalid-PDU-parameter-value'];
const USER_IDENTITY_TYPES = ['', 'username', 'username-passcode', 'kerberos', 'saml', 'jwt'];

/** One PDU of a direction: the header at `at`, `len` declared, `avail` of its body present. */
interface Pdu {
  type: number;
  at: number;
  len: number;
  avail: number;
}
const complete = (p: Pdu): boolean => p.avail === p.len;

/** A-ASSOCIATE-RQ or -AC, as read. */
interface Associate {
  calledAe: string;
  callingAe: string;
  appContext?: string;
  contexts: { id: number; result: number; abstractSyntax?: string; transferSyntaxes: string[] }[];
  maxPdu?: number;
  implUid?: string;
  implVersion?: string;
  userIdentity?: number;
}

/** Whether a PDU header is plausible: a known type, reserved 00H, a length that fits the type. */
function headerOk(type: number, reserved: number, len: number): boolean {
  if (reserved !== 0) return false;
  switch (type) {
    case A_ASSOCIATE_RQ:
    case A_ASSOCIATE_AC:
      return len >= ASSOC_FIXED && len <= MAX_ASSOC_PDU;
    case A_ASSOCIATE_RJ:
    case A_RELEASE_RQ:
    case A_RELEASE_RP:
    case A_ABORT:
      return len === 4;
    case P_DATA_TF:
      return len >= 6; // at least one PDV item: 4-byte length, context ID, control header
    default:
      return false;
  }
}

/**
 * The PDUs of `b`, the last one possibly cut short. null when the first header is not DICOM;
 * `malformed` when a later one is not (the list stops before it).
 */
function splitPdus(b: Buffer): { list: Pdu[]; malformed: boolean } | null {
  const list: Pdu[] = [];
  let p = 0;
  while (p + PDU_HEADER <= b.length) {
    const type = b[p];
    const len = b.readUInt32BE(p + 2);
    if (!headerOk(type, b[p + 1], len)) {
      if (list.length === 0) return null;
      return { list, malformed: true };
    }
    const avail = Math.min(len, b.length - p - PDU_HEADER);
    list.push({ type, at: p, len, avail });
    p += PDU_HEADER + len;
  }
  // Fewer than 6 bytes so far: the type and reserved byte must already fit.
  if (list.length === 0 && ((b.length > 0 && (b[0] < A_ASSOCIATE_RQ || b[0] > A_ABORT)) || (b.length > 1 && b[1] !== 0))) return null;
  return { list, malformed: false };
}

/** An AE title field: 16 bytes, leading and trailing spaces not significant (PS3.8 9.3.2); null if not text. */
function aeTitle(b: Buffer, at: number, len: number): string | null {
  let s = at;
  let e = at + len;
  while (s < e && (b[s] === 0x20 || b[s] === 0)) s++;
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0)) e--;
  for (let i = s; i < e; i++) if (b[i] < 0x20 || b[i] > 0x7e || b[i] === 0x5c) return null;
  return b.toString('latin1', s, e);
}

/** A UID in an item: digits and dots, trailing NUL/space padding removed; undefined when not a UID. */
function uid(b: Buffer, at: number, end: number): string | undefined {
  let e = end;
  while (e > at && (b[e - 1] === 0 || b[e - 1] === 0x20)) e--;
  if (e === at || e - at > 64) return undefined;
  for (let i = at; i < e; i++) if (b[i] !== 0x2e && (b[i] < 0x30 || b[i] > 0x39)) return undefined;
  return b.toString('latin1', at, e);
}

/** The Implementation Version Name of a sub-item: 1 to 16 characters of the default repertoire
 * without backslash (padding removed); undefined, and counted as dropped, when it is anything else. */
function versionName(b: Buffer, at: number, end: number): string | undefined {
  let e = end;
  while (e > at && (b[e - 1] === 0 || b[e - 1] === 0x20)) e--;
  let ok = e > at && e - at <= MAX_VERSION_NAME && b[at] !== 0x20;
  for (let i = at; ok && i < e; i++) if (b[i] < 0x20 || b[i] > 0x7e || b[i] === 0x5c) ok = false;
  if (ok) return b.toString('latin1', at, e);
  countDropped('dicom');
  return undefined;
}

/** Read an A-ASSOCIATE-RQ or -AC (PS3.8 9.3.2, 9.3.3): null when malformed. A cut-short PDU gives
 * the items it holds. */
function parseAssociate(b: Buffer, p: Pdu): Associate | null {
  const body = p.at + PDU_HEADER;
  if (p.avail < ASSOC_FIXED) return null;
  if ((b.readUInt16BE(body) & 1) === 0) return null; // protocol version: bit 0 set for version 1
  const calledAe = aeTitle(b, body + 4, 16);
  const callingAe = aeTitle(b, body + 20, 16);
  if (calledAe === null || callingAe === null) return null;
  const a: Associate = { calledAe, callingAe, contexts: [] };
  const end = body + p.avail;
  const declaredEnd = body + p.len;
  let q = body + ASSOC_FIXED;
  while (q + 4 <= end) {
    const type = b[q];
    const itemEnd = q + 4 + b.readUInt16BE(q + 2);
    if (itemEnd > declaredEnd) return null; // an item longer than its PDU
    if (itemEnd > end) break; // cut short: keep what came before
    if (type === 0x10) {
      a.appContext = uid(b, q + 4, itemEnd);
    } else if ((type === 0x20 && p.type === A_ASSOCIATE_RQ) || (type === 0x21 && p.type === A_ASSOCIATE_AC)) {
      if (itemEnd < q + 8) return null;
      if (a.contexts.length < MAX_CONTEXTS) {
        const ctx: Associate['contexts'][number] = { id: b[q + 4], result: type === 0x21 ? b[q + 6] : 0, transferSyntaxes: [] };
        for (let s = q + 8; s + 4 <= itemEnd;) {
          const subEnd = s + 4 + b.readUInt16BE(s + 2);
          if (subEnd > itemEnd) return null;
          const v = uid(b, s + 4, subEnd);
          if (b[s] === 0x30 && v !== undefined) ctx.abstractSyntax = v;
          else if (b[s] === 0x40 && v !== undefined && ctx.transferSyntaxes.length < 32) ctx.transferSyntaxes.push(v);
          s = subEnd;
        }
        a.contexts.push(ctx);
      }
    } else if (type === 0x50) {
      for (let s = q + 4; s + 4 <= itemEnd;) {
        const subLen = b.readUInt16BE(s + 2);
        const subEnd = s + 4 + subLen;
        if (subEnd > itemEnd) return null;
        const sub = b[s];
        if (sub === 0x51 && subLen === 4) a.maxPdu = b.readUInt32BE(s + 4);
        else if (sub === 0x52) a.implUid = uid(b, s + 4, subEnd);
        else if (sub === 0x55) a.implVersion = versionName(b, s + 4, subEnd);
        else if (sub === 0x58 && subLen >= 1) a.userIdentity = b[s + 4];
        s = subEnd;
      }
    }
    q = itemEnd;
  }
  return a;
}

/** Distinct values in order, bounded. */
function distinct(values: Iterable<string | undefined>, max = MAX_CONTEXTS): string[] {
  const out: string[] = [];
  for (const v of values) if (v !== undefined && !out.includes(v) && out.length < max) out.push(v);
  return out;
}

function rqFields(rq: Associate): DicomAssociateRqFields {
  const abstract = distinct(rq.contexts.map((c) => c.abstractSyntax));
  const transfer = distinct(rq.contexts.flatMap((c) => c.transferSyntaxes));
  const f = { pdu: 'A-ASSOCIATE-RQ', role: 'scu', encrypted: false } as DicomAssociateRqFields;
  if (rq.callingAe !== '') {
    f.ae_title = rq.callingAe;
    f.calling_ae_title = rq.callingAe;
  }
  if (rq.calledAe !== '') f.called_ae_title = rq.calledAe;
  if (rq.appContext !== undefined) f.application_context = rq.appContext;
  f.presentation_contexts = rq.contexts.length;
  f.abstract_syntaxes = abstract;
  f.abstract_syntax_names = abstract.map(dicomUidName);
  f.transfer_syntaxes = transfer;
  f.transfer_syntax_names = transfer.map(dicomUidName);
  if (rq.maxPdu !== undefined) f.max_pdu_length = rq.maxPdu;
  if (rq.implUid !== undefined) f.implementation_class_uid = rq.implUid;
  if (rq.implVersion !== undefined) f.implementation_version_name = rq.implVersion;
  if (rq.userIdentity !== undefined) f.user_identity_type = USER_IDENTITY_TYPES[rq.userIdentity] ?? `reserved-${rq.userIdentity}`;
  return f;
}

function acFields(ac: Associate, rq: Associate | null): DicomAssociateAcFields {
  const accepted = ac.contexts.filter((c) => c.result === 0);
  const f = { pdu: 'A-ASSOCIATE-AC', role: 'scp', encrypted: false } as DicomAssociateAcFields;
  const called = ac.calledAe !== '' ? ac.calledAe : rq?.calledAe ?? '';
  const calling = ac.callingAe !== '' ? ac.callingAe : rq?.callingAe ?? '';
  if (called !== '') f.ae_title = called;
  if (calling !== '') f.calling_ae_title = calling;
  if (called !== '') f.called_ae_title = called;
  if (ac.appContext !== undefined) f.application_context = ac.appContext;
  f.presentation_contexts = ac.contexts.length;
  f.presentation_contexts_accepted = accepted.length;
  if (rq !== null) {
    const proposed = new Map(rq.contexts.map((c) => [c.id, c.abstractSyntax]));
    const abstract = distinct(accepted.map((c) => proposed.get(c.id)));
    f.abstract_syntaxes = abstract;
    f.abstract_syntax_names = abstract.map(dicomUidName);
    f.rejected_abstract_syntaxes = distinct(ac.contexts.filter((c) => c.result !== 0).map((c) => proposed.get(c.id)))
      .filter((u) => !abstract.includes(u));
  }
  const transfer = distinct(accepted.flatMap((c) => c.transferSyntaxes));
  f.transfer_syntaxes = transfer;
  f.transfer_syntax_names = transfer.map(dicomUidName);
  if (ac.maxPdu !== undefined) f.max_pdu_length = ac.maxPdu;
  if (ac.implUid !== undefined) f.implementation_class_uid = ac.implUid;
  if (ac.implVersion !== undefined) f.implementation_version_name = ac.implVersion;
  return f;
}

function rjFields(b: Buffer, p: Pdu, rq: Associate | null): DicomAssociateRjFields {
  const body = p.at + PDU_HEADER;
  const [result, source, reason] = [b[body + 1], b[body + 2], b[body + 3]];
  const f = { pdu: 'A-ASSOCIATE-RJ', role: 'scp', encrypted: false } as DicomAssociateRjFields;
  if (rq !== null && rq.calledAe !== '') f.ae_title = rq.calledAe;
  if (rq !== null && rq.callingAe !== '') f.calling_ae_title = rq.callingAe;
  if (rq !== null && rq.calledAe !== '') f.called_ae_title = rq.calledAe;
  f.reject_result = REJECT_RESULTS[result] || `reserved-${result}`;
  f.reject_source = REJECT_SOURCES[source] || `reserved-${source}`;
  f.reject_reason = REJECT_REASONS[source]?.[reason] ?? `reserved-${reason}`;
  return f;
}

function abortFields(b: Buffer, p: Pdu, role: 'scu' | 'scp' | undefined): DicomAbortFields {
  const body = p.at + PDU_HEADER;
  const source = b[body + 2];
  const reason = b[body + 3];
  const f = (role !== undefined ? { pdu: 'A-ABORT', role, encrypted: false } : { pdu: 'A-ABORT', encrypted: false }) as DicomAbortFields;
  f.abort_source = ABORT_SOURCES[source] ?? `reserved-${source}`;
  if (source === 2) f.abort_reason = ABORT_REASONS[reason] ?? `reserved-${reason}`;
  return f;
}

/** What the P-DATA-TF PDUs of one direction carried. */
interface Dimse {
  commands: string[];
  sopClasses: string[];
  moveDestination?: string;
  /** SHA-256 (hex) of the Affected SOP Instance UID of each C-STORE-RQ, distinct: the UIDs are not kept. */
  instanceDigests: string[];
  /** Fragments of the command set being received. */
  command: Buffer[];
  commandBytes: number;
  /** The first C-STORE-RQ data set: `expect` after its command, `collect` while its fragments come. */
  store: 'none' | 'expect' | 'collect' | 'done';
  storeContext: number;
  storeParts: Buffer[];
  malformed: boolean;
}

/** Fields of a command set (PS3.7 E.1: always Implicit VR Little Endian, group 0000 only). */
interface CommandSet { field?: number; sopClass?: string; dataSetType?: number; moveDestination?: string; instanceUid?: string }
function readCommandSet(cs: Buffer): CommandSet {
  const out: CommandSet = {};
  let requested: string | undefined;
  for (let p = 0; p + 8 <= cs.length;) {
    const group = cs.readUInt16LE(p);
    const element = cs.readUInt16LE(p + 2);
    const len = cs.readUInt32LE(p + 4);
    const v = p + 8;
    if (group !== 0 || len > cs.length - v) break;
    if (element === 0x0100 && len === 2) out.field = cs.readUInt16LE(v);
    else if (element === 0x0800 && len === 2) out.dataSetType = cs.readUInt16LE(v);
    else if (element === 0x0002) out.sopClass = uid(cs, v, v + len);
    else if (element === 0x0003) requested = uid(cs, v, v + len);
    else if (element === 0x0600) out.moveDestination = aeTitle(cs, v, Math.min(len, 16)) || undefined;
    else if (element === 0x1000) out.instanceUid = uid(cs, v, v + len); // Affected SOP Instance UID
    p = v + len;
  }
  out.sopClass ??= requested;
  return out;
}

/** Take in the PDV items of one P-DATA-TF PDU (PS3.8 9.3.5.1, Annex E.2). */
function takePData(b: Buffer, p: Pdu, d: Dimse): void {
  const body = p.at + PDU_HEADER;
  const end = body + p.avail;
  const declaredEnd = body + p.len;
  for (let q = body; q + 6 <= end;) {
    const itemLen = b.readUInt32BE(q);
    const pc = b[q + 4];
    const mch = b[q + 5];
    if (itemLen < 2 || itemLen > declaredEnd - q - 4 || (pc & 1) === 0 || mch > 3) {
      d.malformed = true;
      return;
    }
    const itemEnd = q + 4 + itemLen;
    const fragment = b.subarray(q + 6, Math.min(itemEnd, end));
    const last = (mch & 2) !== 0 && itemEnd <= end;
    if ((mch & 1) !== 0) {
      if (d.store === 'collect') d.store = 'done'; // a new message: the data set ended unannounced
      d.commandBytes += fragment.length;
      if (d.commandBytes <= MAX_COMMAND_SET) d.command.push(fragment);
      if (last) {
        if (d.commandBytes <= MAX_COMMAND_SET) command(Buffer.concat(d.command), pc, d);
        d.command = [];
        d.commandBytes = 0;
      }
    } else if ((d.store === 'expect' || d.store === 'collect') && pc === d.storeContext) {
      d.store = last ? 'done' : 'collect';
      d.storeParts.push(fragment);
    }
    // Any other data set (C-FIND/C-MOVE identifiers, responses, later C-STOREs) is never looked at.
    q = itemEnd;
  }
}

function command(cs: Buffer, pc: number, d: Dimse): void {
  const c = readCommandSet(cs);
  if (c.field === undefined) return;
  const name = COMMANDS.get(c.field) ?? `0x${c.field.toString(16).padStart(4, '0')}`;
  if (!d.commands.includes(name) && d.commands.length < MAX_COMMANDS) d.commands.push(name);
  if (c.sopClass !== undefined && !d.sopClasses.includes(c.sopClass) && d.sopClasses.length < MAX_COMMANDS) d.sopClasses.push(c.sopClass);
  if (c.field === C_MOVE_RQ && d.moveDestination === undefined && c.moveDestination !== undefined) d.moveDestination = c.moveDestination;
  if (c.field === C_STORE_RQ && c.instanceUid !== undefined && d.instanceDigests.length < MAX_INSTANCES) {
    // Only a digest leaves this function: the UID is an identifier of a patient's image.
    const digest = createHash('sha256').update(c.instanceUid, 'latin1').digest('hex');
    if (!d.instanceDigests.includes(digest)) d.instanceDigests.push(digest);
  }
  if (c.field === C_STORE_RQ && d.store === 'none' && c.dataSetType !== NO_DATA_SET) {
    d.store = 'expect';
    d.storeContext = pc;
  }
}

const interner = new FieldsInterner();
const WAIT: StreamVerdict<'dicom'> = { done: false };

/** The complete A-ASSOCIATE-RQ/AC/RJ at the start of the other direction, if any. */
function peerStart(peer: Buffer): { pdu: Pdu; assoc: Associate | null } | null {
  if (peer.length < PDU_HEADER) return null;
  const type = peer[0];
  const len = peer.readUInt32BE(2);
  if (!headerOk(type, peer[1], len) || peer.length < PDU_HEADER + len) return null;
  const pdu: Pdu = { type, at: 0, len, avail: len };
  if (type === A_ASSOCIATE_RQ || type === A_ASSOCIATE_AC) {
    const assoc = parseAssociate(peer, pdu);
    return assoc === null ? null : { pdu, assoc };
  }
  return type === A_ASSOCIATE_RJ ? { pdu, assoc: null } : null;
}

/** The parser without the dissector's safety net (tests use it to see exceptions, not nulls). */
export function parseDicomStream(b: Buffer, ctx: StreamContext, final: boolean): StreamVerdict<'dicom'> {
  const split = splitPdus(b);
  if (split === null) return null;
  const { list } = split;
  if (list.length === 0) return final ? null : WAIT;
  const first = list[0];

  // The association PDU at the start must be whole, unless no more bytes will come.
  let own: Associate | null = null;
  if (first.type === A_ASSOCIATE_RQ || first.type === A_ASSOCIATE_AC) {
    if (!complete(first) && !final) return WAIT;
    own = parseAssociate(b, first);
    if (own === null) return null;
  } else if (!complete(first) && first.type !== P_DATA_TF) {
    return final ? null : WAIT;
  }
  const peer = peerStart(ctx.peerData);
  const peerRq = peer?.pdu.type === A_ASSOCIATE_RQ ? peer.assoc : null;
  let role: 'scu' | 'scp' | undefined;
  if (first.type === A_ASSOCIATE_RQ) role = 'scu';
  else if (first.type === A_ASSOCIATE_AC || first.type === A_ASSOCIATE_RJ) role = 'scp';
  else if (peer !== null) role = peer.pdu.type === A_ASSOCIATE_RQ ? 'scp' : 'scu';

  // What follows the start: DIMSE messages, a release, an abort.
  const d: Dimse = { commands: [], sopClasses: [], instanceDigests: [], command: [], commandBytes: 0, store: 'none', storeContext: 0, storeParts: [], malformed: false };
  let ended = false;
  let abort: Pdu | undefined;
  const startAt = first.type === A_ASSOCIATE_RQ || first.type === A_ASSOCIATE_AC || first.type === A_ASSOCIATE_RJ ? 1 : 0;
  for (let i = startAt; i < list.length && !ended && !d.malformed; i++) {
    const p = list[i];
    if (p.type === P_DATA_TF) {
      takePData(b, p, d);
      if (d.malformed && i === 0 && d.commands.length === 0) return null; // not DICOM after all
    } else if (p.type === A_RELEASE_RQ || p.type === A_RELEASE_RP) {
      ended = true;
    } else if (p.type === A_ABORT) {
      if (complete(p)) abort = p;
      ended = true;
    } else {
      d.malformed = true; // a second association PDU: protocol error, read no further
    }
  }

  // The first C-STORE data set, in the transfer syntax accepted for its presentation context.
  let tags: DeviceTagFields = {};
  let storeEnough = false;
  if (d.store !== 'none' && d.store !== 'expect') {
    const ac = first.type === A_ASSOCIATE_AC ? own : peer?.pdu.type === A_ASSOCIATE_AC ? peer.assoc : null;
    const pc = ac?.contexts.find((c) => c.id === d.storeContext && c.result === 0);
    const r = deviceTags(Buffer.concat(d.storeParts), pc?.transferSyntaxes[0], d.store === 'done');
    tags = r.tags;
    storeEnough = r.enough;
  }

  const answered = first.type === A_ASSOCIATE_AC || first.type === A_ASSOCIATE_RJ;
  const done = final || answered || ended || storeEnough || split.malformed || d.malformed || first.type === A_ABORT;
  if (!done) return WAIT;

  const observations: Observation<'dicom'>[] = [];
  const src = streamSender(ctx);
  const dst = streamReceiver(ctx);
  const emit = (device: DeviceKey, fields: DicomFields) =>
    observations.push({ device, tsMs: ctx.tsMs, source: 'dicom', fields: interner.intern({ ...fields }) });
  if (first.type === A_ASSOCIATE_RQ && own !== null) {
    emit(src, rqFields(own));
    if (peer?.pdu.type === A_ASSOCIATE_AC && peer.assoc !== null) emit(dst, acFields(peer.assoc, own));
    else if (peer?.pdu.type === A_ASSOCIATE_RJ) emit(dst, rjFields(ctx.peerData, peer.pdu, own));
  } else if (first.type === A_ASSOCIATE_AC && own !== null) {
    emit(src, acFields(own, peerRq));
    if (peerRq !== null) emit(dst, rqFields(peerRq));
  } else if (first.type === A_ASSOCIATE_RJ) {
    emit(src, rjFields(b, first, peerRq));
    if (peerRq !== null) emit(dst, rqFields(peerRq));
  }
  if (d.commands.length > 0) {
    const f = (role !== undefined ? { pdu: 'P-DATA-TF', role, encrypted: false } : { pdu: 'P-DATA-TF', encrypted: false }) as DicomPDataFields;
    f.dimse_commands = d.commands;
    f.sop_classes = d.sopClasses;
    f.sop_class_names = d.sopClasses.map(dicomUidName);
    if (d.moveDestination !== undefined) f.move_destination = d.moveDestination;
    emit(src, { ...f, ...tags });
  }
  if (abort !== undefined) emit(src, abortFields(b, abort, role));
  // Nothing whole was ever read (a lying length, then the end): not counted as DICOM.
  if (observations.length === 0 && !list.some(complete)) return null;
  if (d.instanceDigests.length === 0) return { done: true, observations };
  // Each instance this direction stored: who sent it to whom, and when (identification orders them).
  const outputs: InstanceSighting[] = d.instanceDigests.map((instanceDigest) =>
    ({ kind: 'instance-sighting', instanceDigest, sender: src, receiver: dst, tsMs: ctx.tsMs }));
  return { done: true, observations, outputs };
}

export const dicom: StreamDissector<'dicom'> = {
  kind: 'stream',
  name: 'dicom',
  clinical: {
    protocol: 'dicom',
    shown: [
      'ae_title', 'calling_ae_title', 'called_ae_title', 'implementation_class_uid', 'implementation_version_name',
      'abstract_syntax_names', 'rejected_abstract_syntaxes', 'dimse_commands', 'sop_class_names', 'modality', 'manufacturer',
      'manufacturer_model_name', 'device_serial_number', 'software_versions', 'station_name', 'institution_name',
      'institutional_department_name', 'reject_result', 'reject_source', 'reject_reason',
    ],
    // IANA `dicom-tls` (PS3.15 Annex B): DICOM over TLS.
    tlsPort: 2762,
  },
  probe(d: Buffer): boolean {
    const type = d[0];
    if (type < A_ASSOCIATE_RQ || type > A_ABORT) return false;
    if (d.length < 2) return true;
    if (d[1] !== 0) return false;
    if (d.length < PDU_HEADER) return true;
    if (!headerOk(type, 0, d.readUInt32BE(2))) return false;
    // Protocol version (bit 0 set) of an association PDU; context ID (odd) and control header of a PDV.
    if ((type === A_ASSOCIATE_RQ || type === A_ASSOCIATE_AC) && d.length >= 8) return (d[7] & 1) === 1;
    if (type === P_DATA_TF && d.length >= 12) return d.readUInt32BE(6) >= 2 && (d[10] & 1) === 1 && d[11] <= 3;
    return true;
  },
  parse(data: Buffer, ctx: StreamContext, final = false): StreamVerdict<'dicom'> {
    try {
      return parseDicomStream(data, ctx, final);
    } catch {
      return null; // a parser bug must not become a crash; the caller counts the null
    }
  },
};
