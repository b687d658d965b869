import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tcpDirections, type TcpDirection } from '../testing/tcp-streams.js';
import { http } from './http.js';
import type { StreamContext, StreamVerdict } from './types.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
if (!existsSync(corpus)) console.warn(`http.test: ${corpus} absent, corpus agreement tests skipped`);

type Parse = (data: Buffer, ctx: StreamContext, final?: boolean) => StreamVerdict<'http'>;
const parse = http.parse as Parse;
const ctxOf = (d: TcpDirection): StreamContext => ({ ...d, peerData: Buffer.alloc(0) });
const key = (d: TcpDirection) => `${d.srcIp}|${d.srcPort}|${d.dstIp}|${d.dstPort}`;

/** What the pipeline does: probe the first segment, then parse what has been reassembled. */
function run(d: TcpDirection): StreamVerdict<'http'> {
  if (!http.probe(d.data.subarray(0, 1448))) return null;
  return parse(d.data.subarray(0, 16384), ctxOf(d));
}
const fieldsOf = (v: StreamVerdict<'http'>) => (v !== null && v.done ? v.observations.map((o) => o.fields) : v);

/** End of the first header block (after the empty line), or -1. */
function headerEnd(b: Buffer): number {
  const crlf = b.indexOf('\r\n\r\n');
  return crlf < 0 ? -1 : crlf + 4;
}

describe('http on lan-http.pcap (curl, python http.server)', () => {
  let dirs: TcpDirection[] = [];
  beforeAll(async () => {
    dirs = await tcpDirections(join(fixtures, 'lan-http.pcap'));
  });

  it('reports the client software and the server software, each about its sender', () => {
    const byKey = new Map(dirs.map((d) => [key(d), run(d)]));
    expect(byKey.get('10.20.0.21|57116|10.20.0.10|8080')).toEqual({
      done: true,
      observations: [{
        device: { mac: '00:1b:21:0a:00:21', ip: '10.20.0.21' }, tsMs: 1795397897347, source: 'http',
        fields: { http_version: '1.1', method: 'GET', host: 'pacs.ward3.example:8080', user_agent: 'curl/7.88.1' },
      }],
    });
    expect(fieldsOf(byKey.get('10.20.0.10|8080|10.20.0.21|57116')!)).toEqual([
      { http_version: '1.0', status_code: 200, server: 'SimpleHTTP/0.6 Python/3.11.2' },
    ]);
    expect(fieldsOf(byKey.get('10.20.0.22|50252|10.20.0.10|80')!)).toEqual([
      { http_version: '1.1', method: 'GET', host: 'ehr.ward3.example', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
    ]);
    expect(fieldsOf(byKey.get('10.20.0.10|80|10.20.0.21|44486')!)).toEqual([
      { http_version: '1.0', status_code: 404, server: 'SimpleHTTP/0.6 Python/3.11.2' },
    ]);
  });

  it('waits for the header block at every split point, then gives the same result', () => {
    for (const d of dirs) {
      const end = headerEnd(d.data);
      expect(end).toBeGreaterThan(0);
      const whole = parse(d.data, ctxOf(d));
      for (let k = 1; k < end; k++) {
        const part = d.data.subarray(0, k);
        expect(http.probe(part)).toBe(true);
        expect(parse(part, ctxOf(d))).toEqual({ done: false });
      }
      expect(parse(d.data.subarray(0, end), ctxOf(d))).toEqual(whole);
    }
  });

  it('tolerates bare LF line ends', () => {
    const d = dirs[0];
    const lf = Buffer.from(d.data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    expect(fieldsOf(parse(lf, ctxOf(d)))).toEqual(fieldsOf(parse(d.data, ctxOf(d))));
    expect(parse(lf.subarray(0, lf.indexOf('\n\n') + 1), ctxOf(d))).toEqual({ done: false });
  });

  it('never throws on truncated or corrupted real messages', () => {
    for (const d of dirs) {
      const b = d.data.subarray(0, 600);
      for (let k = 0; k <= b.length; k++) {
        parse(b.subarray(0, k), ctxOf(d));
        parse(b.subarray(0, k), ctxOf(d), true);
      }
      for (let i = 0; i < b.length; i++) {
        for (const x of [0x00, 0x0a, 0x20, 0x3a, 0xff]) {
          const c = Buffer.from(b);
          c[i] = x;
          const v = parse(c, ctxOf(d), true);
          expect(v === null || typeof v.done === 'boolean').toBe(true);
        }
      }
    }
  });
});

describe('http probe and start line', () => {
  const ctx: StreamContext = { tsMs: 0, srcMac: null, srcIp: '10.0.0.1', srcPort: 1, dstMac: null, dstIp: '10.0.0.2', dstPort: 2, peerData: Buffer.alloc(0) };
  it('says "not mine" to other protocols on their first bytes', () => {
    for (const hex of ['16030100', 'SSH-2.0-OpenSSH_9.6\r\n', '00000054ff534d42', '220 mail ESMTP\r\n', 'RTSP/1.0 200 OK\r\n']) {
      const b = /^[0-9a-f]+$/.test(hex) ? Buffer.from(hex, 'hex') : Buffer.from(hex);
      expect(http.probe(b) && parse(b, ctx) !== null).toBe(false);
    }
    expect(parse(Buffer.from('EHLO mail.example\r\n'), ctx)).toBeNull();
    expect(parse(Buffer.from('GET /x HTTP/2.0\r\n\r\n'), ctx)).toBeNull();
  });
  it('keeps no request target, query, cookie or authorization: Basic authentication only as a flag', () => {
    const req = 'GET /patients/12345?mrn=987654 HTTP/1.1\r\nHost: ehr\r\nCookie: sid=s3cr3t\r\nAuthorization: Basic dXNlcjpwYXNz\r\nReferer: http://ehr/p?mrn=987654\r\n\r\n';
    const v = parse(Buffer.from(req), ctx);
    expect(fieldsOf(v)).toEqual([{ http_version: '1.1', method: 'GET', host: 'ehr', basic_auth: true }]);
    expect(JSON.stringify(v)).not.toMatch(/12345|987654|s3cr3t|dXNlcjpwYXNz/);
  });
  it('says a server asks for Basic authentication (any case), and not for other schemes', () => {
    const res = (auth: string) => fieldsOf(parse(Buffer.from(`HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: ${auth}\r\n\r\n`), ctx));
    expect(res('Basic realm="device"')).toEqual([{ http_version: '1.1', status_code: 401, auth_challenge: 'basic' }]);
    expect(res('basic')).toEqual([{ http_version: '1.1', status_code: 401, auth_challenge: 'basic' }]);
    expect(res('Digest realm="x", nonce="1"')).toEqual([{ http_version: '1.1', status_code: 401 }]);
    expect(res('BasicX realm="x"')).toEqual([{ http_version: '1.1', status_code: 401 }]);
  });
  it('skips 1xx interim responses to the final one', () => {
    const res = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nServer: nginx\r\n\r\n';
    expect(parse(Buffer.from(res.slice(0, 30)), ctx)).toEqual({ done: false });
    expect(fieldsOf(parse(Buffer.from(res), ctx))).toEqual([{ http_version: '1.1', status_code: 201, server: 'nginx' }]);
  });
  it('reports what it has when the header block exceeds its bound', () => {
    const big = Buffer.from(`HTTP/1.1 200 OK\r\nServer: big\r\nX-Pad: ${'a'.repeat(20000)}`);
    expect(fieldsOf(parse(big.subarray(0, 16384), ctx))).toEqual([{ http_version: '1.1', status_code: 200, server: 'big' }]);
  });
});

describe.skipIf(!existsSync(corpus))('http against the public corpus', () => {
  /** identities.tsv rows: file → field → values (tshark 4.0.17 truncates values at 200 characters). */
  const tshark = new Map<string, Map<string, Set<string>>>();
  beforeAll(() => {
    for (const line of readFileSync(join(corpus, 'identities.tsv'), 'utf8').split('\n')) {
      const [file, field, value] = line.split('\t');
      if (!field?.startsWith('http.')) continue;
      if (!tshark.has(file)) tshark.set(file, new Map());
      const m = tshark.get(file)!;
      if (!m.has(field)) m.set(field, new Set());
      m.get(field)!.add(value);
    }
  });

  /**
   * Values tshark finds in a later message of a keep-alive connection (we read only the first message
   * of each direction; each is a different Server header behind the same address).
   */
  const LATER_MESSAGES = new Set([
    'mdns/zeek__var-services-std-ports.pcap|http.server|Golfe',
    'mixed/markofu__evidence03.pcap|http.server|Apache/2.2.6 (Unix)',
    'mixed/pcpp__many-protocols.pcap|http.server|GFE/2.0',
    'mixed/pcpp__many-protocols.pcap|http.server|gws',
    'mixed/pcpp__many-protocols.pcap|http.server|Apache/2.2.25 (Unix) mod_ssl/2.2.25 OpenSSL/0.9.7d',
  ]);
  /** Values we find and tshark does not: it waits for a 1 MiB body the capture does not hold. */
  const BODY_NEVER_COMPLETE = new Set(['http/ndpi__windowsupdate_over_http.pcap|http.server|nginx']);

  it('agrees with tshark on http.user_agent and http.server, capture by capture', async () => {
    let agreed = 0;
    for (const [file, fields] of tshark) {
      const ours = new Map<string, Set<string>>([['http.user_agent', new Set()], ['http.server', new Set()]]);
      for (const d of await tcpDirections(join(corpus, file), 16384)) {
        const v = run(d);
        if (v === null || !v.done) continue;
        for (const o of v.observations) {
          if (typeof o.fields.user_agent === 'string') ours.get('http.user_agent')!.add(o.fields.user_agent.slice(0, 200));
          if (typeof o.fields.server === 'string') ours.get('http.server')!.add(o.fields.server.slice(0, 200));
        }
      }
      for (const [field, values] of ours) {
        const theirs = fields.get(field) ?? new Set<string>();
        for (const t of theirs) if (!LATER_MESSAGES.has(`${file}|${field}|${t}`)) expect(values, `${file} ${field}`).toContain(t);
        for (const v of values) {
          if (!BODY_NEVER_COMPLETE.has(`${file}|${field}|${v}`)) expect(theirs, `${file} ${field}`).toContain(v);
        }
        agreed += [...theirs].filter((t) => values.has(t)).length;
      }
    }
    expect(agreed).toBe(151); // of 156 tshark values: the 5 LATER_MESSAGES are the difference
  });

  it('reads a User-Agent split across two segments only once both have arrived', async () => {
    const dirs = await tcpDirections(join(corpus, 'http', 'ndpi__http_ua_splitted_in_two_pkts.pcapng'));
    const req = dirs.find((d) => d.data.subarray(0, 4).toString() === 'GET ' && d.data.includes('User-Agent'))!;
    const end = headerEnd(req.data);
    for (let k = 1; k < end; k++) expect(parse(req.data.subarray(0, k), ctxOf(req))).toEqual({ done: false });
    expect(fieldsOf(parse(req.data.subarray(0, end), ctxOf(req)))).toMatchObject([{ user_agent: expect.stringContaining('SM-T805') }]);
  });

  it('keeps no cookie from a request that carries them', async () => {
    const dirs = await tcpDirections(join(corpus, 'http', 'foxio__http1-with-cookies.pcapng'));
    const withCookie = dirs.filter((d) => /\r\ncookie:/i.test(d.data.subarray(0, headerEnd(d.data)).toString('latin1')));
    expect(withCookie.length).toBeGreaterThan(0);
    for (const d of withCookie) {
      const cookie = /\r\ncookie:\s*([^\r\n]+)/i.exec(d.data.toString('latin1'))![1];
      const text = JSON.stringify(run(d));
      for (const part of cookie.split(/;\s*/)) expect(text).not.toContain(part.split('=')[1] ?? part);
    }
  });

  it('decodes the identity fields of NTLM authentication headers, never the header', async () => {
    const dirs = await tcpDirections(join(corpus, 'bench', 'ndpi-ethernet-merged.pcap'), 16384);
    const server = dirs.find((d) => key(d) === '198.244.151.63|80|192.168.16.173|35612')!;
    expect(fieldsOf(run(server))).toEqual([{
      http_version: '1.1', status_code: 401, server: 'Microsoft-HTTPAPI/2.0',
      hostname: 'DLP-TEST-R5', nb_domain: 'DLP-TEST-R5', dns_hostname: 'DLP-TEST-R5', dns_domain: 'DLP-TEST-R5',
      os_version: '10.0.20348', os_product: 'Windows Server 2022',
    }]);
    const client = dirs.find((d) => key(d) === '192.168.16.173|35612|198.244.151.63|80')!;
    expect(JSON.stringify(run(client))).not.toMatch(/NTLM|TlRMTVNT|WebDAV/);
  });
});
