/**
 * NTLMSSP (MS-NLMP): the authentication messages SMB's SESSION_SETUP and HTTP's `Authorization: NTLM`
 * carry. Only identity fields are read (names, domains, the Windows VERSION): never the user name, the
 * challenge or the responses.
 */

/** Identity fields of NTLMSSP messages (MS-NLMP 2.2.1), about the message's sender. */
export interface NtlmFields {
  /** VERSION (MS-NLMP 2.2.2.10) as major.minor.build, e.g. `10.0.19041` (Samba always sends 6.1.0). */
  os_version?: string;
  /** Windows release of a well-known os_version (WINDOWS_BUILDS): claimed, not proven (macOS SMBFS sends 6.1.7600). */
  os_product?: string;
  /** Sender's NetBIOS name: CHALLENGE MsvAvNbComputerName (server), NEGOTIATE/AUTHENTICATE Workstation (client). */
  hostname?: string;
  /** CHALLENGE MsvAvNbDomainName (or TargetName of a domain): the server's NetBIOS domain or workgroup. */
  nb_domain?: string;
  /** CHALLENGE MsvAvDnsComputerName: the server's DNS host name. */
  dns_hostname?: string;
  /** CHALLENGE MsvAvDnsDomainName: the server's DNS domain. */
  dns_domain?: string;
  /** CHALLENGE MsvAvDnsTreeName: the server's forest. */
  dns_tree?: string;
  /** NEGOTIATE/AUTHENTICATE DomainName: logon domain of the client's account ("." = local account). */
  auth_domain?: string;
  /**
   * AUTHENTICATE: `v1` when the NT response is 24 bytes (NTLMv1, or its NTLM2 session variant: crackable
   * offline), `v2` when longer (NTLMv2); absent for anonymous logons. The responses themselves are never kept.
   */
  ntlm_version?: 'v1' | 'v2';
}

/**
 * Well-known Windows builds, by `major.minor.build`. Sources: Microsoft Learn "Windows 10 release
 * information", "Windows 11 release information", "Windows Server release information"
 * (learn.microsoft.com/windows/release-health/) for 10.0.x; Wikipedia "List of Microsoft Windows
 * versions" for the older builds. One build is often shared by a client and a server release.
 */
const WINDOWS_BUILDS: Record<string, string> = {
  '5.0.2195': 'Windows 2000', '5.1.2600': 'Windows XP', '5.2.3790': 'Windows Server 2003 / XP x64',
  '6.0.6000': 'Windows Vista', '6.0.6001': 'Windows Vista SP1 / Server 2008',
  '6.0.6002': 'Windows Vista SP2 / Server 2008 SP2', '6.1.7600': 'Windows 7 / Server 2008 R2',
  '6.1.7601': 'Windows 7 SP1 / Server 2008 R2 SP1', '6.2.9200': 'Windows 8 / Server 2012',
  '6.3.9600': 'Windows 8.1 / Server 2012 R2', '10.0.10240': 'Windows 10 1507', '10.0.10586': 'Windows 10 1511',
  '10.0.14393': 'Windows 10 1607 / Server 2016', '10.0.15063': 'Windows 10 1703', '10.0.16299': 'Windows 10 1709',
  '10.0.17134': 'Windows 10 1803', '10.0.17763': 'Windows 10 1809 / Server 2019', '10.0.18362': 'Windows 10 1903',
  '10.0.18363': 'Windows 10 1909', '10.0.19041': 'Windows 10 2004', '10.0.19042': 'Windows 10 20H2',
  '10.0.19043': 'Windows 10 21H1', '10.0.19044': 'Windows 10 21H2', '10.0.19045': 'Windows 10 22H2',
  '10.0.20348': 'Windows Server 2022', '10.0.22000': 'Windows 11 21H2', '10.0.22621': 'Windows 11 22H2',
  '10.0.22631': 'Windows 11 23H2', '10.0.26100': 'Windows 11 24H2 / Server 2025',
};

const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
const NEGOTIATE_UNICODE = 0x1;
const NEGOTIATE_OEM_DOMAIN_SUPPLIED = 0x1000;
const NEGOTIATE_OEM_WORKSTATION_SUPPLIED = 0x2000;
const TARGET_TYPE_DOMAIN = 0x10000;
const TARGET_TYPE_SERVER = 0x20000;
const NEGOTIATE_VERSION = 0x02000000;
/** CHALLENGE target-info AV pairs we keep, by AvId (MS-NLMP 2.2.2.1): MsvAvNbComputerName..MsvAvDnsTreeName. */
const AV_FIELDS: readonly (Exclude<keyof NtlmFields, 'ntlm_version'> | undefined)[] = [undefined, 'hostname', 'nb_domain', 'dns_hostname', 'dns_domain', 'dns_tree'];
/** Longest name kept from any string field. */
const MAX_NAME = 256;

/** Printable text or undefined: names are shown to people, control characters never are. */
export function cleanName(s: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return t.length > 0 && t.length <= MAX_NAME ? t : undefined;
}

/** A security buffer (len u16, maxlen u16, offset u32 from the message start) as text. */
function secString(b: Buffer, msg: number, end: number, field: number, unicode: boolean): string | undefined {
  const len = b.readUInt16LE(field);
  const start = msg + b.readUInt32LE(field + 4);
  if (len === 0 || start + len > end || start < msg) return undefined;
  return cleanName(b.toString(unicode ? 'utf16le' : 'latin1', start, start + len));
}

/** Offset of the first payload byte: fixed fields (e.g. VERSION) exist only before it. */
function payloadStart(b: Buffer, msg: number, fields: readonly number[], fallback: number): number {
  let min = fallback;
  for (const f of fields) if (b.readUInt16LE(msg + f) > 0) min = Math.min(min, b.readUInt32LE(msg + f + 4));
  return min;
}

function readVersion(b: Buffer, at: number, out: NtlmFields): void {
  const v = `${b[at]}.${b[at + 1]}.${b.readUInt16LE(at + 2)}`;
  if (v === '0.0.0') return;
  out.os_version = v;
  const product = WINDOWS_BUILDS[v];
  if (product !== undefined) out.os_product = product;
}

/**
 * Decode the NTLMSSP message at `b[off..end)` into `out` (identity fields only: never the user name or
 * the responses). Returns the message type (1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE), 0 if malformed.
 */
export function parseNtlmssp(b: Buffer, off: number, end: number, out: NtlmFields): number {
  end = Math.min(end, b.length);
  const len = end - off;
  if (off < 0 || len < 16 || b.compare(NTLMSSP_SIGNATURE, 0, 8, off, off + 8) !== 0) return 0;
  const type = b.readUInt32LE(off + 8);
  if (type === 1) {
    const flags = b.readUInt32LE(off + 12);
    if (len < 32) return 1; // NTLMv1-era short NEGOTIATE: flags only
    if (flags & NEGOTIATE_OEM_DOMAIN_SUPPLIED) out.auth_domain = secString(b, off, end, off + 16, false) ?? out.auth_domain;
    if (flags & NEGOTIATE_OEM_WORKSTATION_SUPPLIED) out.hostname = secString(b, off, end, off + 24, false) ?? out.hostname;
    if (flags & NEGOTIATE_VERSION && len >= 40 && payloadStart(b, off, [16, 24], len) >= 40) readVersion(b, off + 32, out);
    return 1;
  }
  if (type === 2) {
    if (len < 32) return 0;
    const flags = b.readUInt32LE(off + 20);
    const unicode = (flags & NEGOTIATE_UNICODE) !== 0;
    if (len >= 48) {
      const tiLen = b.readUInt16LE(off + 40);
      const ti = off + b.readUInt32LE(off + 44);
      const tiEnd = Math.min(end, ti + tiLen);
      for (let p = ti; p + 4 <= tiEnd;) {
        const id = b.readUInt16LE(p);
        const vEnd = p + 4 + b.readUInt16LE(p + 2);
        if (id === 0 || vEnd > tiEnd) break;
        const field = AV_FIELDS[id];
        if (field !== undefined) {
          const text = cleanName(b.toString('utf16le', p + 4, vEnd));
          if (text !== undefined) out[field] = text;
        }
        p = vEnd;
      }
      if (flags & NEGOTIATE_VERSION && len >= 56 && payloadStart(b, off, [12, 40], len) >= 56) readVersion(b, off + 48, out);
    }
    // Without target info (NTLMv1 servers) TargetName is the only name: a domain's or the server's.
    const target = secString(b, off, end, off + 12, unicode);
    if (flags & TARGET_TYPE_DOMAIN && out.nb_domain === undefined) out.nb_domain = target;
    if (flags & TARGET_TYPE_SERVER && out.hostname === undefined) out.hostname = target;
    return 2;
  }
  if (type === 3) {
    if (len < 64) return 0;
    const flags = b.readUInt32LE(off + 60);
    const unicode = (flags & NEGOTIATE_UNICODE) !== 0;
    out.auth_domain = secString(b, off, end, off + 28, unicode) ?? out.auth_domain;
    out.hostname = secString(b, off, end, off + 44, unicode) ?? out.hostname; // field 36 is the user name: skipped
    // NtChallengeResponseFields (offset 20): only the length is read.
    const ntLen = b.readUInt16LE(off + 20);
    if (ntLen === 24) out.ntlm_version = 'v1';
    else if (ntLen > 24) out.ntlm_version = 'v2';
    if (flags & NEGOTIATE_VERSION && len >= 72 && payloadStart(b, off, [12, 20, 28, 36, 44, 52], len) >= 72) {
      readVersion(b, off + 64, out);
    }
    return 3;
  }
  return 0;
}

/** Find and decode an NTLMSSP message inside a security blob (SPNEGO wraps it; no need to parse ASN.1). */
export function ntlmInBlob(b: Buffer, start: number, end: number, out: NtlmFields): number {
  if (start < 0 || end > b.length || start >= end) return 0;
  const at = b.subarray(start, end).indexOf(NTLMSSP_SIGNATURE);
  return at < 0 ? 0 : parseNtlmssp(b, start + at, end, out);
}
