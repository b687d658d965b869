/**
 * Addresses as numbers on the hot path, as strings at the edges.
 *
 * A MAC is kept as a 48-bit integer in a double (exact below 2^53); an IP address as four 32-bit words
 * with IPv4 in the IPv4-mapped IPv6 form (::ffff:a.b.c.d), so one key layout serves both families.
 */

/** MAC at `off` in `b` as a 48-bit number. */
export function macAt(b: Uint8Array, off: number): number {
  const low32 = ((b[off + 2] << 24) | (b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5]) >>> 0;
  return b[off] * 0x10000000000 + b[off + 1] * 0x100000000 + low32;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Address texts made recently: the same few thousand hosts recur on every connection, and building a
 * text costs a dozen string allocations. Keyed in two small-integer levels (a 24-bit prefix, then the
 * rest), so a lookup allocates nothing; emptied when it holds MAX_CACHED_TEXTS.
 */
const MAX_CACHED_TEXTS = 65_536;
let cachedTexts = 0;
const macTexts = new Map<number, Map<number, string>>();
const ipv4Texts = new Map<number, (string | undefined)[]>();
function countCached(): void {
  if (++cachedTexts < MAX_CACHED_TEXTS) return;
  macTexts.clear();
  ipv4Texts.clear();
  cachedTexts = 0;
}

/** 48-bit MAC number to `aa:bb:cc:dd:ee:ff`. */
export function macToString(mac: number): string {
  const hi = Math.floor(mac / 0x1000000);
  const lo = mac % 0x1000000;
  let byLow = macTexts.get(hi);
  const known = byLow?.get(lo);
  if (known !== undefined) return known;
  const text = `${HEX[(hi >>> 16) & 0xff]}:${HEX[(hi >>> 8) & 0xff]}:${HEX[hi & 0xff]}:${HEX[(lo >>> 16) & 0xff]}:${HEX[(lo >>> 8) & 0xff]}:${HEX[lo & 0xff]}`;
  countCached();
  if (byLow === undefined || cachedTexts === 0) macTexts.set(hi, (byLow = new Map()));
  byLow.set(lo, text);
  return text;
}

/** `aa:bb:cc:dd:ee:ff` (also `-` or no separators) to a 48-bit number; NaN when not a MAC. */
export function parseMac(text: string): number {
  const hex = text.trim().toLowerCase().replace(/[:.-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return NaN;
  return parseInt(hex, 16);
}

/** First octet of a MAC number. */
function firstOctet(mac: number): number {
  return Math.floor(mac / 0x10000000000) & 0xff;
}

/** Group (multicast or broadcast) MAC: the I/G bit of the first octet. */
export function isGroupMac(mac: number): boolean {
  return (firstOctet(mac) & 0x01) !== 0;
}

/** Locally administered MAC (U/L bit): randomised or assigned by software, not from the IEEE registry. */
export function isLocallyAdministeredMac(mac: number): boolean {
  return (firstOctet(mac) & 0x02) !== 0;
}

/**
 * Write the address at `off` (4 or 16 bytes) into `words[at..at+3]` in the mapped form.
 */
export function ipWordsAt(b: Uint8Array, off: number, version: number, words: Int32Array, at: number): void {
  if (version === 4) {
    words[at] = 0;
    words[at + 1] = 0;
    words[at + 2] = 0xffff;
    words[at + 3] = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
    return;
  }
  for (let i = 0; i < 4; i++) {
    const o = off + i * 4;
    words[at + i] = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  }
}

/** Whether the four words at `at` hold an IPv4-mapped address. */
export function wordsAreIpv4(words: Int32Array, at: number): boolean {
  return words[at] === 0 && words[at + 1] === 0 && words[at + 2] === 0xffff;
}

/** Text form of the address in `words[at..at+3]`: dotted quad for IPv4, RFC 5952 for IPv6. */
export function ipWordsToString(words: Int32Array, at: number): string {
  if (wordsAreIpv4(words, at)) {
    const v = words[at + 3];
    return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[at + i];
    groups.push((w >>> 16) & 0xffff, w & 0xffff);
  }
  return ipv6GroupsToString(groups);
}

/** Text form of an address given as bytes at `off`. */
export function ipToString(b: Uint8Array, off: number, version: number): string {
  if (version === 4) {
    const hi = (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
    let byLast = ipv4Texts.get(hi);
    const known = byLast?.[b[off + 3]];
    if (known !== undefined) return known;
    const text = `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
    countCached();
    if (byLast === undefined || cachedTexts === 0) ipv4Texts.set(hi, (byLast = new Array<string | undefined>(256)));
    byLast[b[off + 3]] = text;
    return text;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[off + i] << 8) | b[off + i + 1]);
  return ipv6GroupsToString(groups);
}

/** RFC 5952: lower case, longest run (>= 2) of zero groups collapsed to `::`, first run on ties. */
function ipv6GroupsToString(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** Multicast, broadcast or unspecified: never the address of a device. */
export function isNonUnicastIp(words: Int32Array, at: number): boolean {
  if (wordsAreIpv4(words, at)) {
    const v = words[at + 3] >>> 0;
    const first = v >>> 24;
    return v === 0 || v === 0xffffffff || (first >= 224 && first <= 239);
  }
  const w0 = words[at] >>> 0;
  if (w0 >>> 24 === 0xff) return true; // ff00::/8 multicast
  return w0 === 0 && words[at + 1] === 0 && words[at + 2] === 0 && words[at + 3] === 0; // ::
}

/** Version (4 or 6) of a textual IP address, or 0 when it is not one. */
export function ipVersionOf(text: string): 0 | 4 | 6 {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(text)) {
    return text.split('.').every((p) => Number(p) <= 255) ? 4 : 0;
  }
  if (/^[0-9a-fA-F:.]+$/.test(text) && text.includes(':')) return 6;
  return 0;
}
