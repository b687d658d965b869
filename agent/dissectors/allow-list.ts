/**
 * What the clinical dissectors (DICOM, HL7, POCT1-A, SDC/WS-Discovery, IntelliVue) keep is an
 * allow-list: named fields from named places in the message, each with a bounded value shape. A value
 * that does not have its field's shape is dropped whole (never cut or cleaned into shape, which could
 * leave a name behind) and counted here, by dissector. Only the count is kept, never the value.
 *
 * The shapes shared by several dissectors live here; each dissector documents its fields and why none
 * of them can carry patient identity where it declares them.
 */

/** Values dropped by an allow-list in this thread, by dissector name. */
const dropped: Record<string, number> = {};

/** Count `n` values `dissector` received and dropped. */
export function countDropped(dissector: string, n = 1): void {
  if (n > 0) dropped[dissector] = (dropped[dissector] ?? 0) + n;
}

/** A copy of the counts so far (cumulative for the thread: callers subtract a baseline). */
export function droppedCounts(): Record<string, number> {
  return { ...dropped };
}

/**
 * Printable ASCII without leading or trailing space, 1 to `max` characters, none of `forbidden`:
 * identifiers, codes, serial numbers, versions.
 */
export function isAsciiToken(s: string, max: number, forbidden = ''): boolean {
  if (s.length === 0 || s.length > max || s[0] === ' ' || s[s.length - 1] === ' ') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || forbidden.includes(s[i])) return false;
  }
  return true;
}

/**
 * A short free-text label of any script (a model name, a manufacturer, a room): letters, marks and
 * digits, space and `. _ - / # + ( ) , : & '`; 1 to `max` characters, no control, format or
 * private-use character, and none of the HL7 delimiters `^ | ~ \` with which a person's name is written.
 */
const LABEL = /^[\p{L}\p{N}][\p{L}\p{M}\p{N} ._\-/#+(),:&']*$/u;
export function isLabel(s: string, max: number): boolean {
  return s.length <= max && [...s].length <= max && LABEL.test(s) && s[s.length - 1] !== ' ';
}

/** An ISO object identifier (`1.2.840.10008.1.1`): 64 characters at most (a DICOM UI). */
export function isOid(s: string): boolean {
  return s.length <= 64 && /^[0-2](\.(0|[1-9][0-9]{0,19})){1,40}$/.test(s);
}
