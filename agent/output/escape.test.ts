import { describe, expect, it } from 'vitest';
import { forTerminal, hasControls, jsonBytesForTerminal, jsonForTerminal, jsonTextForTerminal, withoutControls } from './escape.js';

/** Every character a terminal may act on, or that reorders a line. */
const UNSAFE = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)),
  '\x7f',
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)),
  '\u061c', '\u200e', '\u200f', '\u2028', '\u2029', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
  '\u2066', '\u2067', '\u2068', '\u2069',
];

describe('forTerminal', () => {
  it('writes every C0, DEL, C1 and bidi/line-separator character as a visible escape', () => {
    for (const c of UNSAFE) {
      const out = forTerminal(`a${c}b`);
      expect(out, c.charCodeAt(0).toString(16)).toMatch(/^a\\(x[0-9a-f]{2}|u[0-9a-f]{4})b$/);
      expect(hasControls(out)).toBe(false);
    }
    expect(forTerminal('\x1b[2J\x1b]0;owned\x07\x00')).toBe('\\x1b[2J\\x1b]0;owned\\x07\\x00');
    expect(forTerminal('\u009b31m\u202etxt.exe')).toBe('\\x9b31m\\u202etxt.exe');
    expect(forTerminal('line one\nline two')).toBe('line one\\x0aline two');
  });

  it('leaves every other character alone, non-ASCII names included', () => {
    for (const s of ['ward3-printer', 'Müller Röntgen', '東京-病院', 'a\\x1b (already text)', 'emoji 👩‍⚕️', '']) expect(forTerminal(s)).toBe(s);
    expect(hasControls('Müller')).toBe(false);
  });
});

describe('jsonForTerminal', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the exact value', () => {
    const value = { name: 'sw\x1b]0;t\x07\u009b\u202e\u2028\x7f', n: 1, list: ['ok', '\u0085'] };
    const text = jsonForTerminal(value, 2);
    expect(hasControls(text.replace(/\n/g, ''))).toBe(false);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('\\u009b');
    expect(jsonForTerminal(undefined)).toBe('null');
  });
});

describe('withoutControls', () => {
  it('drops the characters forTerminal would escape', () => {
    expect(withoutControls('\t=1+2\r\n\u202e')).toBe('=1+2');
    expect(withoutControls('plain')).toBe('plain');
  });
});

describe('jsonBytesForTerminal', () => {
  // The unsafe characters beside their UTF-8 neighbours (same lead byte, next code points), other
  // non-ASCII text and a lone surrogate (UTF-8 writes U+FFFD for it, the same on both paths).
  const NEIGHBOURS = ['\u00a0', '\u00ae', '\u00c2', '\u061b', '\u061d', '\u0600', '\u200d', '\u2010', '\u2027', '\u202f', '\u2065', '\u206a', '\u20ac', 'é', '中', '😀', '\ud800'];
  const ALPHABET = [...UNSAFE.slice(0x20), ...NEIGHBOURS, 'a', '"', '\\', '{', '1'];

  it('makes the bytes jsonTextForTerminal makes of the text, for every unsafe character and its neighbours', () => {
    for (const c of [...UNSAFE.slice(0x20), ...NEIGHBOURS]) {
      const json = JSON.stringify({ name: `a${c}b${c}` });
      expect(jsonBytesForTerminal(Buffer.from(json)).toString('hex'), c.charCodeAt(0).toString(16)).toBe(Buffer.from(jsonTextForTerminal(json)).toString('hex'));
    }
    // Random mixes (seeded): runs of unsafe characters, at the start and the end, beside multi-byte ones.
    let seed = 15;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 500; n++) {
      const s = Array.from({ length: next() % 40 }, () => ALPHABET[next() % ALPHABET.length]).join('');
      const json = JSON.stringify([s, { s }]);
      expect(jsonBytesForTerminal(Buffer.from(json)).equals(Buffer.from(jsonTextForTerminal(json))), JSON.stringify(s)).toBe(true);
    }
  });

  it('returns the same buffer when nothing needs escaping', () => {
    const clean = Buffer.from(JSON.stringify({ vendor: 'Acme® Medical — 中文 😀', note: '\u00a0\u2010' }));
    expect(jsonBytesForTerminal(clean)).toBe(clean);
  });
});
