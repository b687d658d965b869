/** Address texts: exact forms, and the same text from the cache, also after it empties itself. */
import { describe, expect, it } from 'vitest';
import { ipToString, macAt, macToString, parseMac } from './format.js';

describe('address texts', () => {
  it('writes MACs lower case with colons, IPv4 dotted, IPv6 per RFC 5952, the same on every call', () => {
    const mac = macAt(Uint8Array.from([0x00, 0x1a, 0xa1, 0x0a, 0xff, 0x01]), 0);
    for (let i = 0; i < 3; i++) expect(macToString(mac)).toBe('00:1a:a1:0a:ff:01');
    expect(macToString(parseMac('FF-FF-FF-FF-FF-FF'))).toBe('ff:ff:ff:ff:ff:ff');
    expect(macToString(0)).toBe('00:00:00:00:00:00');
    const v4 = Uint8Array.from([10, 30, 0, 255]);
    for (let i = 0; i < 3; i++) expect(ipToString(v4, 0, 4)).toBe('10.30.0.255');
    const v6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipToString(v6, 0, 6)).toBe('2001:db8::1');
  });

  it('gives every address its own text across many more addresses than the cache holds', () => {
    const b = new Uint8Array(6);
    for (let n = 0; n < 200_000; n += 7) {
      b[0] = 0x02;
      b[1] = (n >>> 24) & 0xff;
      b[2] = (n >>> 16) & 0xff;
      b[3] = (n >>> 8) & 0xff;
      b[4] = n & 0xff;
      b[5] = n % 251;
      const want = [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
      expect(macToString(macAt(b, 0))).toBe(want);
      expect(macToString(macAt(b, 0))).toBe(want);
      expect(ipToString(b, 1, 4)).toBe(`${b[1]}.${b[2]}.${b[3]}.${b[4]}`);
    }
  });
});
