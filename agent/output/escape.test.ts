import { describe, expect, it } from 'vitest';
import { forTerminal, hasControls, jsonAscii, jsonBytesAscii, jsonForTerminal, jsonTextAscii, withoutControls } from './escape.js';

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

describe('jsonTextAscii, jsonBytesAscii', () => {
  // The unsafe characters, their UTF-8 neighbours (same lead byte, next code points), other non-ASCII
  // text of 2, 3 and 4 UTF-8 bytes, lone surrogates (raw in a string: UTF-8 writes U+FFFD for them),
  // and what JSON writes with a backslash.
  const NON_ASCII = ['\u00a0', '\u00ae', '\u00c2', '\u061b', '\u061d', '\u0600', '\u200d', '\u2010', '\u2027', '\u202f', '\u2065', '\u206a', '\u20ac', 'é', 'Ö', '中', '\uffff', '😀', '\u{10ffff}', '\ud800', '\udfff'];
  const ALPHABET = [...UNSAFE, ...NON_ASCII, 'a', '"', '\\', '/', '{', '1', '\\u00e9', '\\ud83d'];
  const isAsciiText = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);
  const viaText = (json: string): Buffer => Buffer.from(jsonTextAscii(json), 'latin1');
  let seed = 15;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const randomString = (): string => Array.from({ length: next() % 40 }, () => ALPHABET[next() % ALPHABET.length]).join('');

  it('writes every non-ASCII character and DEL as a lower-case \\u escape, astral ones as a surrogate pair, as Python ensure_ascii does', () => {
    expect(jsonAscii({ n: 'Müller\x7f東😀\u202e', k: 1 })).toBe('{"n":"M\\u00fcller\\u007f\\u6771\\ud83d\\ude00\\u202e","k":1}');
    expect(jsonAscii('\ud800x\udfff')).toBe('"\\ud800x\\udfff"');
    expect(jsonAscii(undefined)).toBe('null');
    expect(jsonTextAscii('{"a":"plain"}')).toBe('{"a":"plain"}');
  });

  it('is lossless on hostile and multi-byte strings, escapes already in the text and lone surrogates', () => {
    for (let n = 0; n < 500; n++) {
      const s = randomString();
      const value = [s, { [s]: s, x: [1, null, s] }];
      const text = jsonAscii(value);
      expect(isAsciiText(text), JSON.stringify(s)).toBe(true);
      expect(hasControls(text)).toBe(false);
      expect(JSON.parse(text)).toEqual(value);
      // The bytes path gives the text path's bytes (a lone surrogate is U+FFFD in UTF-8 on both).
      const json = JSON.stringify(value);
      expect(jsonBytesAscii(Buffer.from(json)).equals(viaText(json)), JSON.stringify(s)).toBe(true);
      // Raw lone surrogates in the text, not JSON.stringify's escapes (no quote, backslash or C0 control: a valid JSON string).
      const raw = `["${[...s].filter((c) => c !== '"' && c !== '\\' && c >= ' ').join('')}"]`;
      expect(jsonBytesAscii(Buffer.from(raw)).equals(viaText(Buffer.from(raw).toString('utf8')))).toBe(true);
      expect(JSON.parse(jsonTextAscii(raw))).toEqual(JSON.parse(raw));
    }
  });

  it('makes of a page of escaped pieces and ASCII glue the escaped whole', () => {
    const items = Array.from({ length: 50 }, () => ({ name: randomString(), vendor: 'Dräger Medical — 中文 😀' }));
    const glued = `{"items":[${items.map(jsonAscii).join(',')}],"next":null}`;
    expect(glued).toBe(jsonAscii({ items, next: null }));
    expect(jsonBytesAscii(Buffer.from(glued, 'latin1')).equals(Buffer.from(glued))).toBe(true);
  });

  it('walks a page block by block: characters across block edges, at the start and the end', () => {
    for (const c of ['é', '中', '😀', '\x7f']) {
      for (const at of [0, 1, 509, 510, 511, 512, 4095, 4096, 8191, 9000]) {
        const json = JSON.stringify([`${'a'.repeat(at)}${c}${'b'.repeat(at % 7)}`, c]);
        expect(jsonBytesAscii(Buffer.from(json)).equals(viaText(json)), `${c} at ${at}`).toBe(true);
      }
    }
  });

  it('returns the same buffer when it is ASCII without DEL; escapes a body that is not valid UTF-8 through its text', () => {
    const clean = Buffer.from(jsonAscii({ vendor: 'Acme® Medical — 中文 😀', note: '\u00a0\u2010' }), 'latin1');
    expect(jsonBytesAscii(clean)).toBe(clean);
    const invalid = Buffer.concat([Buffer.from('["a'), Buffer.from([0xc3, 0x28, 0xff, 0xe2, 0x80]), Buffer.from('é"]')]);
    expect(jsonBytesAscii(invalid).equals(viaText(invalid.toString('utf8')))).toBe(true);
  });
});
