/**
 * The tls stream dissector without the public corpus: fingerprint algorithms against the examples of
 * their specifications, and a real ClientHello written by Node's own TLS stack (OpenSSL) on loopback,
 * fed byte by byte, re-framed into several records and corrupted.
 */
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { clientFingerprints, isGrease, ja4AlpnChars, serverFingerprints } from './tls-fingerprints.js';
import type { ClientHello, ServerHello } from './tls-hello.js';
import { tcpDirections } from '../testing/tcp-streams.js';
import { checkRobust, ctxFor, incremental, reframe } from '../testing/tls-streams.js';
import { tls, TLS_WINDOW_BYTES } from './tls.js';

describe('JA3 / JA4 fingerprints', () => {
  // The example of FoxIO's technical_details/JA4.md (and their Rust unit test).
  const spec: ClientHello = {
    legacyVersion: 0x0303,
    cipherSuites: [0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
    extensions: [0x1a1a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015, 0x2a2a],
    serverName: 'example.com',
    alpn: [Buffer.from('h2'), Buffer.from('http/1.1')],
    supportedVersions: [0x3a3a, 0x0304, 0x0303],
    supportedGroups: [0x4a4a, 0x001d, 0x0017, 0x0018],
    ecPointFormats: [0],
    signatureAlgorithms: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
  };

  it('computes the JA4 of the specification, GREASE ignored everywhere', () => {
    const f = clientFingerprints(spec);
    expect(f.ja4).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(f.ja4_r).toBe(
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_' +
        '0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('writes JA3 as Salesforce does: decimal, GREASE removed, MD5', () => {
    const f = clientFingerprints(spec);
    expect(f.ja3_string).toBe(
      '771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,' +
        '27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0',
    );
    expect(f.ja3).toMatch(/^[0-9a-f]{32}$/);
  });

  it('uses `i`, `00` and twelve zeros for a bare TLS 1.0 hello', () => {
    const bare: ClientHello = {
      ...spec, legacyVersion: 0x0301, extensions: [], serverName: null, alpn: null, supportedVersions: null,
      supportedGroups: null, ecPointFormats: null, signatureAlgorithms: null, cipherSuites: [0x002f],
    };
    expect(clientFingerprints(bare).ja4).toMatch(/^t10i010000_[0-9a-f]{12}_000000000000$/);
    expect(clientFingerprints(bare).ja3_string).toBe('769,47,,,');
  });

  it('computes the JA4S of FoxIO’s unit test and keeps the server’s extension order', () => {
    const sh: ServerHello = {
      legacyVersion: 0x0303, cipherSuite: 0xc030, extensions: [0x0005, 0x0017, 0xff01, 0x0000], selectedVersion: null, alpn: null, helloRetryRequest: false,
    };
    expect(serverFingerprints(sh)).toMatchObject({
      ja4s: 't120400_c030_4e8089b08790', ja4s_r: 't120400_c030_0005,0017,ff01,0000', ja3s_string: '771,49200,5-23-65281-0',
    });
  });

  it('takes ALPN characters from the first protocol id', () => {
    expect(ja4AlpnChars(Buffer.from('http/1.1'))).toBe('h1');
    expect(ja4AlpnChars(Buffer.from('h2'))).toBe('h2');
    expect(ja4AlpnChars(Buffer.from('x'))).toBe('xx');
    expect(ja4AlpnChars(Buffer.from([0xba, 0xad]))).toBe('99'); // FoxIO vector tls-non-ascii-alpn
    expect(ja4AlpnChars(undefined)).toBe('00');
    expect(ja4AlpnChars(Buffer.alloc(0))).toBe('00');
  });

  it('recognises the sixteen GREASE values only', () => {
    const grease = Array.from({ length: 65536 }, (_, v) => v).filter(isGrease);
    expect(grease).toEqual(Array.from({ length: 16 }, (_, i) => i * 0x1010 + 0x0a0a));
  });
});

/** The first bytes Node's TLS client sends to a listener that never answers. */
async function nodeClientHello(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const server = createServer((sock) => {
      sock.on('data', (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          sock.destroy();
          server.close();
          resolve(all);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const c = connect({ host: '127.0.0.1', port, servername: 'infusion-pump.example', ALPNProtocols: ['h2', 'http/1.1'] });
      c.on('error', () => undefined);
      setTimeout(() => reject(new Error('no ClientHello')), 5000).unref();
    });
  });
}

describe('tls on a ClientHello written by OpenSSL', async () => {
  const hello = await nodeClientHello();

  it('reads SNI, ALPN, versions and fingerprints about the client', () => {
    const v = tls.parse(hello, ctxFor());
    expect(v).not.toBeNull();
    expect(v?.done).toBe(true);
    const [o] = v && v.done ? v.observations : [];
    expect(o.device).toEqual({ mac: '02:00:00:00:00:02', ip: '10.0.0.2' });
    expect(o.source).toBe('tls');
    expect(o.fields).toMatchObject({
      message: 'client_hello', server_name: 'infusion-pump.example', alpn: ['h2', 'http/1.1'], legacy_version: 0x0303,
      max_version: 'TLS 1.3', grease: false,
    });
    const f = o.fields as { ja4: string; ja4_r: string; ja3_string: string };
    const [, ciphers, extensions] = f.ja3_string.split(',').map((list) => list.split('-'));
    const count = (n: number): string => String(n).padStart(2, '0');
    expect(f.ja4.slice(0, 10)).toBe(`t13d${count(ciphers.length)}${count(extensions.length)}h2`);
    expect(f.ja4_r.split('_')[1].split(',')).toHaveLength(ciphers.length);
  });

  it('waits for every prefix, then gives the same verdict', () => {
    const r = incremental(hello, ctxFor());
    expect(r.completedAt).toBe(hello.length);
    expect(r.first).toEqual(r.whole);
  });

  it('reassembles a ClientHello split across several records', () => {
    const whole = tls.parse(hello, ctxFor());
    for (const size of [1, 7, 64, 200]) {
      const split = reframe(hello, size);
      expect(tls.parse(split, ctxFor())).toEqual(whole);
      const r = incremental(split, ctxFor());
      expect(r.completedAt).toBe(split.length);
      expect(r.first).toEqual(whole);
    }
  });

  it('never throws on truncated or corrupted bytes', () => {
    checkRobust(hello, ctxFor());
    checkRobust(reframe(hello, 50), ctxFor(), 7);
  });

  it('says not mine fast to other protocols', () => {
    for (const text of ['GET / HTTP/1.1\r\n', 'SSH-2.0-OpenSSH_9.6\r\n', '\x0b\x00\x00\x00', '\x16\x01']) {
      expect(tls.probe(Buffer.from(text, 'latin1'))).toBe(false);
    }
    // An application-data or encrypted alert record starts no handshake.
    expect(tls.parse(Buffer.from('170303001a0000', 'hex'), ctxFor())).toBeNull();
    expect(tls.parse(Buffer.from('150303001a0000000000000000', 'hex'), ctxFor())).toBeNull();
  });
});

// Made by test-fixtures/make-evidence-fixtures.sh: openssl s_server on pacs (10.30.0.10) :4443 (TLS 1.2
// and 1.3) and :8443 (TLS 1.2 only), s_client and curl on ws (10.30.0.50); fresh certificates each run.
const evidence = join(import.meta.dirname, '..', '..', 'test-fixtures', 'evidence-tls.pcap');
if (!existsSync(evidence)) console.warn(`tls fixture test skipped: ${evidence} not found`);

describe.skipIf(!existsSync(evidence))('tls on test-fixtures/evidence-tls.pcap', () => {
  it('names client and server, reads the clear certificates, finishes TLS 1.3 at its ServerHello', async () => {
    const dirs = await tcpDirections(evidence, TLS_WINDOW_BYTES);
    const seen: Record<string, unknown>[] = [];
    for (const d of dirs) {
      const peer = dirs.find((p) => p.srcPort === d.dstPort && p.dstPort === d.srcPort)?.data ?? Buffer.alloc(0);
      const ctx = { ...ctxFor(d.srcIp, d.dstIp, peer), srcMac: d.srcMac, dstMac: d.dstMac, srcPort: d.srcPort, dstPort: d.dstPort };
      const v = tls.probe(d.data) ? tls.parse(d.data, ctx) : null;
      expect(v?.done, `${d.srcPort}->${d.dstPort}`).toBe(true);
      const o = v && v.done ? v.observations[0] : undefined;
      expect(o?.device).toEqual({ mac: d.srcMac, ip: d.srcIp });
      seen.push({ ...o?.fields });
      // Either hello marks the conversation as TLS, for the inventory's edge between the two ends.
      expect(v && v.done ? v.outputs : undefined).toEqual([{
        kind: 'conversation-mark', protocol: 'tls', srcIp: d.srcIp, srcPort: d.srcPort, dstIp: d.dstIp, dstPort: d.dstPort, tsMs: ctx.tsMs,
      }]);
    }
    const clients = seen.filter((f) => f.message === 'client_hello');
    const servers = seen.filter((f) => f.message === 'server_hello');
    expect(clients.map((f) => f.server_name)).toEqual(['pacs.ward3.example', 'pacs.ward3.example', 'pacs.ward3.example', 'pacs-admin.ward3.example']);
    expect(servers.map((f) => [f.version, f.server_name, f.cert_subject, f.cert_self_signed, f.cert_san_dns])).toEqual([
      ['TLS 1.2', 'pacs.ward3.example', 'CN=pacs.ward3.example, O=Example Hospital', true, ['pacs.ward3.example']],
      ['TLS 1.3', 'pacs.ward3.example', undefined, undefined, undefined],
      ['TLS 1.3', 'pacs.ward3.example', undefined, undefined, undefined],
      ['TLS 1.2', 'pacs-admin.ward3.example', 'CN=pacs-admin.ward3.example, O=Example Hospital, OU=Radiology', true, ['pacs-admin.ward3.example']],
    ]);
    for (const f of clients) expect(f.ja4).toMatch(/^t1[23]d\d{4}(h2|00)_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });

  it('waits for the second TCP segment of a split ClientHello', async () => {
    const dirs = await tcpDirections(evidence, TLS_WINDOW_BYTES);
    const split = dirs.find((d) => d.dstPort === 8443)!;
    const r = incremental(split.data, ctxFor());
    expect(r.completedAt).toBeGreaterThan(360); // MSS 360 on that route
    expect(r.first).toEqual(r.whole);
    for (const d of dirs) checkRobust(d.data.subarray(0, 2000), ctxFor());
  });
});
