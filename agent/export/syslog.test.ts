import { describe, expect, it } from 'vitest';
import { HOSTILE_NAMES } from '../testing/export-samples.js';
import { octetCounted, originElement, priority, sdParamValue, structuredData, syslogMessage, udpDatagram } from './syslog.js';

/**
 * RFC 5424 §6 read strictly, for the tests: header fields, then STRUCTURED-DATA (NILVALUE or
 * elements whose PARAM-VALUE escapes only ", \ and ]), then SP and MSG.
 */
function parse5424(text: string): { pri: number; time: string; hostname: string; app: string; procId: string; msgId: string; sd: Array<[string, Array<[string, string]>]>; msg: string } {
  const h = /^<(\d{1,3})>1 (\S+) ([\x21-\x7e]{1,255}) ([\x21-\x7e]{1,48}) ([\x21-\x7e]{1,128}) ([\x21-\x7e]{1,32}) /.exec(text);
  if (h === null) throw new Error(`bad header: ${text.slice(0, 80)}`);
  const pri = Number(h[1]);
  if (pri > 191) throw new Error('PRI over 191');
  if (h[2] !== '-' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/.test(h[2])) throw new Error('bad TIMESTAMP');
  let i = h[0].length;
  const sd: Array<[string, Array<[string, string]>]> = [];
  if (text[i] === '-') i++;
  else {
    while (text[i] === '[') {
      const id = /^\[([^= \]"]{1,32})/.exec(text.slice(i));
      if (id === null) throw new Error('bad SD-ID');
      i += id[0].length;
      const params: Array<[string, string]> = [];
      while (text[i] === ' ') {
        const name = /^ ([^= \]"]{1,32})="/.exec(text.slice(i));
        if (name === null) throw new Error('bad SD-PARAM');
        i += name[0].length;
        let v = '';
        for (;;) {
          const c = text[i++];
          if (c === undefined) throw new Error('unterminated PARAM-VALUE');
          if (c === '\\' && (text[i] === '"' || text[i] === '\\' || text[i] === ']')) v += text[i++];
          else if (c === '"') break;
          else if (c === ']') throw new Error('unescaped ] in PARAM-VALUE');
          else v += c;
        }
        params.push([name[1], v]);
      }
      if (text[i++] !== ']') throw new Error('SD-ELEMENT not closed');
      sd.push([id[1], params]);
    }
  }
  if (text[i] !== ' ') throw new Error('no SP before MSG');
  return { pri, time: h[2], hostname: h[3], app: h[4], procId: h[5], msgId: h[6], sd, msg: text.slice(i + 1) };
}

describe('RFC 5424 messages', () => {
  it('PRI is facility × 8 + the syslog severity of auscult\'s scale', () => {
    expect(priority('local0', 'info')).toBe(16 * 8 + 6);
    expect(priority('local0', 'critical')).toBe(16 * 8 + 2);
    expect(priority('auth', 'high')).toBe(4 * 8 + 3);
  });

  it('builds the header, origin structured data and the record as MSG', () => {
    const m = syslogMessage({
      severity: 'high', time: '2026-11-23T02:13:07.365Z', hostname: 'sensor 1\u00e9', msgId: 'arp.conflict',
      structuredData: [originElement('0.1.0')], msg: 'CEF:0|auscult|auscult|0.1.0|arp.conflict|ARP conflict|8|externalId=abc',
    });
    const p = parse5424(m);
    expect(p.pri).toBe(16 * 8 + 3);
    expect(p.time).toBe('2026-11-23T02:13:07.365Z');
    expect(p.hostname).toBe('sensor_1_');
    expect(p.app).toBe('auscult');
    expect(p.procId).toBe('-');
    expect(p.msgId).toBe('arp.conflict');
    expect(p.sd).toEqual([['origin', [['software', 'auscult'], ['swVersion', '0.1.0']]]]);
    expect(p.msg.startsWith('CEF:0|')).toBe(true);
  });

  it('escapes ", \\ and ] in PARAM-VALUE (§6.3.3), so any value comes back', () => {
    expect(sdParamValue('a"b\\c]d')).toBe('a\\"b\\\\c\\]d');
    for (const h of HOSTILE_NAMES) {
      const m = syslogMessage({ severity: 'info', time: '2026-01-01T00:00:00Z', hostname: 'h', msgId: 'x', structuredData: [{ id: 'auscult@32473', params: [['hostname', h]] }], msg: 'm' });
      expect(parse5424(m).sd[0][1][0][1]).toBe(h);
    }
    expect(structuredData([])).toBe('-');
    expect(() => structuredData([{ id: 'bad id', params: [] }])).toThrow();
  });
});

describe('framing', () => {
  it('octet counting gives the length in octets, not characters (RFC 6587 §3.4.1)', () => {
    const msg = '<134>1 - h auscult - x - Müller 東京';
    const framed = octetCounted(msg);
    const space = framed.indexOf(0x20);
    expect(Number(framed.subarray(0, space).toString())).toBe(Buffer.byteLength(msg));
    expect(framed.subarray(space + 1).toString('utf8')).toBe(msg);
  });

  it('a UDP datagram holds one message, cut at a character boundary when too long', () => {
    expect(udpDatagram('short').truncated).toBe(false);
    const long = 'é'.repeat(100); // 200 octets
    const { datagram, truncated } = udpDatagram(long, 51);
    expect(truncated).toBe(true);
    expect(datagram.length).toBe(50);
    expect(datagram.toString('utf8')).toBe('é'.repeat(25));
  });
});
