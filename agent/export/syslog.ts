/**
 * Syslog messages (RFC 5424) and their framing, as pure functions: the forwarders own the sockets.
 *
 *   SYSLOG-MSG = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
 *
 * The body (MSG) is one export record (CEF, LEEF or JSON), written as MSG-ANY: no BOM, because CEF
 * and LEEF receivers expect the record's first characters. Framing: octet counting (RFC 6587 §3.4.1,
 * required by RFC 5425 for TLS) over TCP and TLS; one message per datagram over UDP (RFC 5426).
 */
import type { Severity } from './event.js';
import { SEVERITY_SCALES } from './severity.js';

/** Syslog facilities by name (RFC 5424 §6.2.1, table 1). */
export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  ntp: 12, audit: 13, alert: 14, clock: 15, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21,
  local6: 22, local7: 23,
} as const;
export type Facility = keyof typeof FACILITIES;

/** Default facility: local0, the one SIEM admins usually route to their collector. */
export const DEFAULT_FACILITY: Facility = 'local0';
export const APP_NAME = 'auscult';

/** One SD-ELEMENT: an SD-ID and its parameters, in order. */
export interface SdElement {
  /** A registered SD-ID (origin, meta, timeQuality) or a private one `name@<enterprise number>`. */
  id: string;
  params: ReadonlyArray<readonly [name: string, value: string]>;
}

export interface SyslogMessage {
  facility?: Facility;
  severity: Severity;
  /** Capture time of the record (ISO 8601 UTC); RFC 5424 TIMESTAMP. */
  time: string;
  /** The sensor's host name; characters outside printable US-ASCII become `_`. */
  hostname: string;
  /** PROCID; default NILVALUE. */
  procId?: string;
  /** MSGID: the record's type (`device.new`, `device.inventory`), at most 32 characters. */
  msgId: string;
  structuredData?: readonly SdElement[];
  /** The record. */
  msg: string;
}

const NIL = '-';
const NOT_PRINTUSASCII = /[^\x21-\x7e]/g;

/** A header field: printable US-ASCII (33-126) only, cut to its maximum length, NILVALUE when empty. */
function headerField(text: string | undefined, maxChars: number): string {
  if (text === undefined || text === '') return NIL;
  const clean = text.replace(NOT_PRINTUSASCII, '_');
  return clean.length > maxChars ? clean.slice(0, maxChars) : clean;
}

/** SD-NAME: printable US-ASCII except `=`, space, `]` and `"`, at most 32 characters. */
const SD_NAME = /^[\x21-\x7e]{1,32}$/;
const SD_NAME_FORBIDDEN = /[= \]"]/;

/** PARAM-VALUE escaping, RFC 5424 §6.3.3: `"`, `\` and `]` are preceded by a backslash. */
export function sdParamValue(value: string): string {
  return /["\\\]]/.test(value) ? value.replace(/["\\\]]/g, (c) => `\\${c}`) : value;
}

/** SD-IDs and PARAM-NAMEs are auscult's own: a bad one is a programmer error. */
function sdName(name: string, what: string): string {
  if (!SD_NAME.test(name) || SD_NAME_FORBIDDEN.test(name)) throw new Error(`invalid syslog ${what} ${JSON.stringify(name)}`);
  return name;
}

/** STRUCTURED-DATA text: NILVALUE without elements. */
export function structuredData(elements: readonly SdElement[] | undefined): string {
  if (elements === undefined || elements.length === 0) return NIL;
  let text = '';
  for (const e of elements) {
    text += `[${sdName(e.id, 'SD-ID')}`;
    for (const [name, value] of e.params) text += ` ${sdName(name, 'PARAM-NAME')}="${sdParamValue(value)}"`;
    text += ']';
  }
  return text;
}

/** The IANA-registered `origin` element (RFC 5424 §7.2): which software sent the message. */
export function originElement(version: string): SdElement {
  return { id: 'origin', params: [['software', APP_NAME], ['swVersion', version]] };
}

/** PRIVAL = facility × 8 + severity. */
export function priority(facility: Facility, severity: Severity): number {
  return FACILITIES[facility] * 8 + SEVERITY_SCALES[severity].syslog;
}

/** One RFC 5424 message, as text (frame it with octetCounted or udpDatagram). */
export function syslogMessage(m: SyslogMessage): string {
  const pri = priority(m.facility ?? DEFAULT_FACILITY, m.severity);
  const time = new Date(Date.parse(m.time)).toISOString();
  return `<${pri}>1 ${time} ${headerField(m.hostname, 255)} ${APP_NAME} ${headerField(m.procId, 128)} ${headerField(m.msgId, 32)} ${structuredData(m.structuredData)} ${m.msg}`;
}

/** Octet-counting framing (RFC 6587 §3.4.1): `MSG-LEN SP SYSLOG-MSG`, the length in octets. */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** Largest UDP payload over IPv4 (65,535 − 8 − 20). */
export const MAX_UDP_PAYLOAD = 65_507;

/**
 * One UDP datagram holding one message (RFC 5426 §3.1). A longer message is cut at a character
 * boundary (RFC 5426 §3.2 lets the sender truncate); `truncated` says so, for the forwarder to count.
 */
export function udpDatagram(message: string, maxBytes = MAX_UDP_PAYLOAD): { datagram: Buffer; truncated: boolean } {
  const body = Buffer.from(message, 'utf8');
  if (body.length <= maxBytes) return { datagram: body, truncated: false };
  let cut = maxBytes;
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && (body[cut] & 0xc0) === 0x80) cut--;
  return { datagram: body.subarray(0, cut), truncated: true };
}
