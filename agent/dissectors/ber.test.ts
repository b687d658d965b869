import { describe, expect, it } from 'vitest';
import { BerTag, berInt, berOid, decodeText, hexOf, newTlv, oidEquals, readTag, readTlv } from './ber.js';

const bytes = (...xs: number[]) => Buffer.from(xs);

describe('readTlv: definite lengths only, always inside the enclosing element', () => {
  it('reads short and long form lengths', () => {
    const t = newTlv();
    expect(readTlv(bytes(0x04, 0x02, 0x61, 0x62), 0, 4, t)).toBe(true);
    expect(t).toEqual({ tag: 0x04, off: 2, len: 2, end: 4 });
    const long = Buffer.concat([bytes(0x30, 0x82, 0x01, 0x00), Buffer.alloc(256)]);
    expect(readTlv(long, 0, long.length, t)).toBe(true);
    expect(t).toEqual({ tag: 0x30, off: 4, len: 256, end: 260 });
    // Non-minimal long form (0x81 0x05) is still a definite length: accepted, as agents send it.
    expect(readTlv(bytes(0x04, 0x81, 0x01, 0x61), 0, 4, t)).toBe(true);
    expect(t.len).toBe(1);
  });

  it('rejects indefinite lengths, oversized length fields, high tag numbers and overruns', () => {
    const t = newTlv();
    expect(readTlv(bytes(0x30, 0x80, 0x00, 0x00), 0, 4, t)).toBe(false);
    expect(readTlv(bytes(0x04, 0x85, 0, 0, 0, 0, 1, 0x61), 0, 8, t)).toBe(false);
    expect(readTlv(bytes(0x1f, 0x01, 0x01, 0x00), 0, 4, t)).toBe(false);
    expect(readTlv(bytes(0x04, 0x03, 0x61, 0x62), 0, 4, t)).toBe(false);
    expect(readTlv(bytes(0x04, 0x82, 0x01), 0, 3, t)).toBe(false);
    expect(readTlv(bytes(0x04), 0, 1, t)).toBe(false);
    // The limit is the enclosing element's end, not the buffer's.
    expect(readTlv(bytes(0x04, 0x02, 0x61, 0x62), 0, 3, t)).toBe(false);
    expect(readTlv(bytes(0x04, 0x00), 0, 2, t)).toBe(true);
  });

  it('readTag also checks the tag', () => {
    const t = newTlv();
    expect(readTag(bytes(0x02, 0x01, 0x01), 0, 3, BerTag.INTEGER, t)).toBe(true);
    expect(readTag(bytes(0x02, 0x01, 0x01), 0, 3, BerTag.OCTET_STRING, t)).toBe(false);
  });
});

describe('berInt', () => {
  it('decodes two-complement integers of 1 to 6 bytes', () => {
    expect(berInt(bytes(0x00), 0, 1)).toBe(0);
    expect(berInt(bytes(0x7f), 0, 1)).toBe(127);
    expect(berInt(bytes(0xff), 0, 1)).toBe(-1);
    expect(berInt(bytes(0x00, 0x80), 0, 2)).toBe(128);
    expect(berInt(bytes(0x80, 0x00), 0, 2)).toBe(-32768);
    expect(berInt(bytes(0x4b, 0x77, 0x2e, 0x6e), 0, 4)).toBe(1266101870);
    expect(berInt(bytes(0x00, 0xff, 0xff, 0xff, 0xff), 0, 5)).toBe(0xffffffff);
  });
  it('refuses empty and over-long integers', () => {
    expect(berInt(bytes(), 0, 0)).toBeNull();
    expect(berInt(bytes(1, 2, 3, 4, 5, 6, 7), 0, 7)).toBeNull();
  });
});

describe('berOid', () => {
  it('decodes to dotted text, first byte split into two arcs', () => {
    expect(berOid(bytes(0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00), 0, 8)).toBe('1.3.6.1.2.1.1.5.0');
    expect(berOid(bytes(0x01), 0, 1)).toBe('0.1');
    expect(berOid(bytes(0x28, 0xc4, 0x62, 0x01), 0, 4)).toBe('1.0.8802.1');
    expect(berOid(bytes(0x88, 0x37, 0x03), 0, 3)).toBe('2.999.3');
    // Multi-byte sub-identifier: 14130104 = 0x86 0xDE 0xB7 0x38.
    expect(berOid(bytes(0x2b, 0x86, 0xde, 0xb7, 0x38), 0, 5)).toBe('1.3.14130104');
  });
  it('rejects empty, unterminated, non-minimal and over-long OIDs', () => {
    expect(berOid(bytes(), 0, 0)).toBeNull();
    expect(berOid(bytes(0x2b, 0x86), 0, 2)).toBeNull();
    expect(berOid(bytes(0x2b, 0x80, 0x01), 0, 3)).toBeNull();
    expect(berOid(Buffer.alloc(200, 0x01), 0, 200)).toBeNull();
    expect(berOid(Buffer.alloc(127, 0x01), 0, 127)).not.toBeNull();
    expect(berOid(Buffer.from([0x2b, ...Array(10).fill(0xff), 0x7f]), 0, 12)).toBeNull();
  });
  it('oidEquals compares encoded bytes without allocating', () => {
    const oid = bytes(0x2b, 0x06, 0x01);
    expect(oidEquals(bytes(0, 0x2b, 0x06, 0x01), 1, 3, oid)).toBe(true);
    expect(oidEquals(bytes(0, 0x2b, 0x06, 0x02), 1, 3, oid)).toBe(false);
    expect(oidEquals(bytes(0x2b, 0x06), 0, 2, oid)).toBe(false);
  });
});

describe('decodeText and hexOf', () => {
  it('decodes UTF-8, falls back to Latin-1, drops trailing NULs, cuts on a character boundary', () => {
    expect(decodeText(Buffer.from('B6300\0\0'), 0, 7, 255)).toBe('B6300');
    expect(decodeText(Buffer.from('Zürich'), 0, 7, 255)).toBe('Zürich');
    expect(decodeText(bytes(0x5a, 0xfc, 0x72), 0, 3, 255)).toBe('Zür');
    expect(decodeText(Buffer.from('aé'), 0, 3, 2)).toBe('a');
    expect(decodeText(Buffer.from('abc'), 1, 2, 255)).toBe('bc');
  });
  it('formats hex with an optional separator and a bound', () => {
    expect(hexOf(bytes(0x80, 0x00, 0x1f), 0, 3, 32)).toBe('80001f');
    expect(hexOf(bytes(0x80, 0x00, 0x1f), 0, 3, 2, ':')).toBe('80:00');
  });
});
