/**
 * The tls dissector on the public corpus (../shared/corpus, never copied here): agreement with tshark
 * (identities.tsv: tls.sni, tls.ja3, tls.ja3s), with FoxIO's JA4/JA4S snapshots per TCP stream, the
 * leaf certificate of a known server, and prefix-by-prefix feeding of real directions.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tcpDirections, type TcpDirection } from '../testing/tcp-streams.js';
import { checkRobust, incremental } from '../testing/tls-streams.js';
import { tls, TLS_WINDOW_BYTES } from './tls.js';
import type { StreamContext } from './types.js';

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const present = existsSync(join(corpus, 'identities.tsv'));
if (!present) console.warn(`tls corpus tests skipped: ${corpus} not found (../shared sits beside the checkout)`);

type Fields = Record<string, unknown>;
const key = (ip: string, port: number, ip2: string, port2: number): string => `${ip}|${port}|${ip2}|${port2}`;

function ctxOf(d: TcpDirection, peer: Buffer = Buffer.alloc(0)): StreamContext {
  return { tsMs: d.tsMs, srcMac: d.srcMac, srcIp: d.srcIp, srcPort: d.srcPort, dstMac: d.dstMac, dstIp: d.dstIp, dstPort: d.dstPort, peerData: peer };
}

/** Each TLS direction of a capture (as the pipeline's 16 KiB window sees it) and what we made of it. */
async function dissect(rel: string): Promise<{ dir: TcpDirection; fields: Fields }[]> {
  const dirs = await tcpDirections(join(corpus, rel), TLS_WINDOW_BYTES);
  const byKey = new Map(dirs.map((d) => [key(d.srcIp, d.srcPort, d.dstIp, d.dstPort), d]));
  const out: { dir: TcpDirection; fields: Fields }[] = [];
  for (const d of dirs) {
    if (!tls.probe(d.data)) continue;
    const v = tls.parse(d.data, ctxOf(d, byKey.get(key(d.dstIp, d.dstPort, d.srcIp, d.srcPort))?.data));
    if (v?.done) for (const o of v.observations) out.push({ dir: d, fields: { ...o.fields } });
  }
  return out;
}

const FIELDS = ['tls.sni', 'tls.ja3', 'tls.ja3s'] as const;

/**
 * tshark values we cannot see, per file and field, with the reason (each checked with tshark on the
 * bytes): QUIC ClientHellos (UDP, out of scope), GTP-U tunnelled TCP the decoder does not open, TLS
 * that starts after a Gnutella text handshake, and second ClientHellos sent after a HelloRetryRequest
 * (JA3/JA4 fingerprint the first one of a connection).
 */
const UNREACHABLE: Record<string, Partial<Record<(typeof FIELDS)[number], number>>> = {
  'medical/ws-discovery/ndpi__gnutella.pcap': { 'tls.ja3s': 1 }, // after `GNUTELLA/0.6 200`
  'tls/foxio__chrome-cloudflare-quic-with-secrets.pcapng': { 'tls.ja3': 1 }, // QUIC
  'tls/foxio__quic-tls-handshake.pcapng': { 'tls.sni': 1, 'tls.ja3': 1 }, // QUIC
  'tls/foxio__tls-handshake.pcapng': { 'tls.sni': 5, 'tls.ja3': 25 }, // 20 QUIC + 5 after HRR (mem.gfx.ms...)
  'tls/foxio__tls-sni.pcapng': { 'tls.sni': 5, 'tls.ja3': 25 }, // same traffic as tls-handshake
  'tls/foxio__tls3.pcapng': { 'tls.sni': 4, 'tls.ja3': 6, 'tls.ja3s': 1 }, // QUIC
  'tls/ndpi__ja3_lots_of_cipher_suites_2_anon.pcap': { 'tls.sni': 1, 'tls.ja3': 1, 'tls.ja3s': 1 }, // GTP-U
};

describe.skipIf(!present)('tls on the public corpus', () => {
  it('agrees with tshark on tls.sni, tls.ja3 and tls.ja3s in every capture that has them', async () => {
    const want = new Map<string, Record<string, Set<string>>>();
    for (const line of readFileSync(join(corpus, 'identities.tsv'), 'utf8').split('\n')) {
      const [file, field, value] = line.split('\t');
      if (!(FIELDS as readonly string[]).includes(field)) continue;
      if (!want.has(file)) want.set(file, Object.fromEntries(FIELDS.map((f) => [f, new Set<string>()])));
      want.get(file)![field].add(value);
    }
    const totals = Object.fromEntries(FIELDS.map((f) => [f, { match: 0, total: 0 }]));
    const unexpected: string[] = [];
    for (const [file, fields] of want) {
      const got: Record<string, Set<string>> = Object.fromEntries(FIELDS.map((f) => [f, new Set<string>()]));
      for (const { fields: o } of await dissect(file)) {
        if (o.message === 'client_hello') {
          if (o.server_name) got['tls.sni'].add(o.server_name as string);
          got['tls.ja3'].add(o.ja3 as string);
        } else got['tls.ja3s'].add(o.ja3s as string);
      }
      for (const f of FIELDS) {
        const missing = [...fields[f]].filter((v) => !got[f].has(v));
        const extra = [...got[f]].filter((v) => !fields[f].has(v));
        totals[f].total += fields[f].size;
        totals[f].match += fields[f].size - missing.length;
        if (extra.length > 0) unexpected.push(`${file} ${f}: values tshark lacks ${extra.join(' ')}`);
        if (missing.length !== (UNREACHABLE[file]?.[f] ?? 0)) unexpected.push(`${file} ${f}: missing ${missing.join(' ')}`);
      }
    }
    console.info(`tls agreement with tshark: ${FIELDS.map((f) => `${f} ${totals[f].match}/${totals[f].total}`).join(', ')}`);
    expect(unexpected).toEqual([]);
    expect(want.size).toBeGreaterThan(40);
  });

  it('gives FoxIO’s JA4 and JA4S for every TCP stream of their snapshots', async () => {
    const snaps = ['tls', 'http', 'dhcp'].flatMap((d) => {
      const dir = join(corpus, d, 'expected-ja4');
      return existsSync(dir) ? readdirSync(dir).map((f) => join(d, 'expected-ja4', f)) : [];
    });
    let compared = 0;
    const wrong: string[] = [];
    for (const snap of snaps) {
      const capture = readdirSync(join(corpus, dirname(dirname(snap)))).find((f) => f.endsWith(`__${basename(snap, '.snap')}`));
      if (!capture) continue;
      const ours = new Map<string, Fields>();
      for (const { dir: d, fields } of await dissect(join(dirname(dirname(snap)), capture))) {
        const client = fields.message === 'client_hello';
        ours.set(client ? `c|${key(d.srcIp, d.srcPort, d.dstIp, d.dstPort)}` : `s|${key(d.dstIp, d.dstPort, d.srcIp, d.srcPort)}`, fields);
      }
      // Insta YAML: `- stream: N` blocks with two-space indented `name: value` lines.
      for (const block of readFileSync(join(corpus, snap), 'utf8').split(/\n- stream: /).slice(1)) {
        const get = (k: string): string | undefined => block.match(new RegExp(`^  ${k}: '?([^'\\n]*)'?$`, 'm'))?.[1];
        if (get('transport') !== 'tcp') continue; // QUIC is UDP: not a stream dissector's
        const k = key(get('src')!, Number(get('src_port')), get('dst')!, Number(get('dst_port')));
        for (const [name, side] of [['ja4', 'c'], ['ja4s', 's']] as const) {
          const expected = get(name);
          if (expected === undefined) continue;
          compared++;
          const got = ours.get(`${side}|${k}`)?.[name];
          if (got !== expected) wrong.push(`${capture} ${k} ${name}: FoxIO ${expected}, ours ${String(got)}`);
        }
      }
    }
    console.info(`tls JA4/JA4S: ${compared - wrong.length}/${compared} streams agree with FoxIO`);
    expect(wrong).toEqual([]);
    expect(compared).toBeGreaterThan(200);
  });

  it('reads the leaf certificate of a TLS 1.2 server and the SNI its client asked for', async () => {
    const server = (await dissect('tls/ndpi__443-curl.pcap')).find((o) => o.fields.message === 'server_hello');
    expect(server?.dir.srcIp).toBe('178.62.197.130');
    expect(server?.fields).toMatchObject({
      server_name: 'www.ntop.org', version: 'TLS 1.2', cipher_suite: 0xc02f, alpn: 'h2',
      ja3s: 'ae53107a2e47ea20c72ac44821a728bf',
      cert_subject: 'CN=www.ntop.org', cert_issuer: "C=US, O=Let's Encrypt, CN=Let's Encrypt Authority X3",
      cert_san_dns: ['www.ntop.org'], cert_not_before: '2019-12-17T01:17:28.000Z', cert_not_after: '2020-03-16T01:17:28.000Z',
      cert_serial: '03C56F6636EDA72F7F4C5665FA055D933255', cert_self_signed: false,
    });
  });

  it('flags a self-signed certificate and finishes a TLS 1.3 server after its ServerHello', async () => {
    const rsa = (await dissect('tls/retina__tls_ciphers.pcap')).find((o) => o.dir.srcPort === 4430);
    expect(rsa?.fields).toMatchObject({ cert_subject: 'CN=Test Certificate RSA', cert_self_signed: true });
    const s13 = (await dissect('tls/foxio__tls12.pcap')).concat(await dissect('tls/zeek__tls13_wolfssl.pcap'));
    const sh = s13.find((o) => o.fields.message === 'server_hello');
    expect(sh?.fields.version).toBe('TLS 1.3');
    expect(Object.keys(sh?.fields ?? {}).filter((k) => k.startsWith('cert_'))).toEqual([]);
  });

  it('waits on every prefix of real directions, then gives the whole-direction verdict', async () => {
    const picks: [string, (d: TcpDirection) => boolean][] = [
      ['tls/foxio__tls12.pcap', (d) => d.dstPort === 443], // Firefox ClientHello
      ['tls/ndpi__tls_with_huge_ch.pcapng', (d) => d.dstPort === 443], // ClientHello over several segments
      ['tls/ndpi__443-curl.pcap', (d) => d.srcPort === 443], // ServerHello + Certificate + ...
      ['tls/zeek__tls13_wolfssl.pcap', (d) => d.srcPort === 9090], // TLS 1.3 ServerHello
      ['http/ndpi__http_ipv6.pcap', (d) => d.srcPort === 443 && d.data[0] === 21], // warning alert first
    ];
    for (const [file, pick] of picks) {
      const d = (await tcpDirections(join(corpus, file), TLS_WINDOW_BYTES)).find(pick)!;
      const r = incremental(d.data, ctxOf(d));
      expect(r.completedAt, file).toBeGreaterThan(0);
      expect(r.first, file).toEqual(r.whole);
      expect(r.whole?.done && r.whole.observations.length, file).toBe(1);
    }
    const huge = (await tcpDirections(join(corpus, 'tls/ndpi__tls_with_huge_ch.pcapng'))).find((d) => d.dstPort === 443)!;
    expect(incremental(huge.data, ctxOf(huge)).completedAt).toBeGreaterThan(1460);
  });

  it('never throws on truncations and corruptions of real hellos and certificates', async () => {
    for (const [file, port] of [['tls/ndpi__443-curl.pcap', 443], ['tls/foxio__tls-alpn-h2.pcap', 443], ['tls/ndpi__443-safari.pcap', 443]] as const) {
      for (const d of (await tcpDirections(join(corpus, file), 4096)).filter((x) => x.srcPort === port || x.dstPort === port)) {
        checkRobust(d.data, ctxOf(d));
      }
    }
  });
});
