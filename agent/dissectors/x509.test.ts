/**
 * The direct certificate reader against OpenSSL (Node's X509Certificate): on certificates of many
 * shapes made by the real openssl (test-fixtures/make-x509-certs.sh), and on every certificate sent in
 * clear in the fixtures and in the public corpus (../shared/corpus, skipped with a reason when absent).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tcpDirections } from '../testing/tcp-streams.js';
import { HS_CERTIFICATE, handshakeBytes } from './tls-hello.js';
import { certificateFields, certificateFieldsDirect, certificateFieldsOpenSsl } from './x509.js';

const fixtures = join(import.meta.dirname, '..', '..', 'test-fixtures');
const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const present = existsSync(corpus);
if (!present) console.warn(`x509 corpus test skipped: ${corpus} not found (../shared sits beside the checkout)`);

function pemCertificates(path: string): Buffer[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

/** Every certificate of every Certificate handshake message sent in clear in a capture. */
async function capturedCertificates(path: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const d of await tcpDirections(path)) {
    const hb = handshakeBytes(d.data);
    if (hb === null) continue;
    const hs = hb.hs;
    for (let o = 0; o + 4 <= hs.length; ) {
      const len = hs.readUIntBE(o + 1, 3);
      if (o + 4 + len > hs.length) break;
      if (hs[o] === HS_CERTIFICATE && len >= 3) {
        // TLS 1.2 and below: a 3-byte list length, then 3-byte length + DER per certificate.
        for (let c = o + 7; c + 3 <= o + 4 + len; ) {
          const n = hs.readUIntBE(c, 3);
          if (n === 0 || c + 3 + n > o + 4 + len) break;
          out.push(Buffer.from(hs.subarray(c + 3, c + 3 + n)));
          c += 3 + n;
        }
      }
      o += 4 + len;
    }
  }
  return out;
}

function capturesUnder(dir: string, skip: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!skip(name)) out.push(...capturesUnder(p, skip));
    } else if (/\.(pcap|pcapng)$/.test(name)) {
      out.push(p);
    }
  }
  return out.sort();
}

/** Both readers on distinct certificates; how many the direct reader read itself. */
function agree(certs: Buffer[]): { distinct: number; direct: number } {
  const seen = new Set<string>();
  let direct = 0;
  for (const der of certs) {
    const key = createHash('sha1').update(der).digest('hex');
    if (seen.has(key)) continue;
    seen.add(key);
    const expected = certificateFieldsOpenSsl(der);
    const fast = certificateFieldsDirect(der);
    if (fast !== null) {
      direct++;
      expect(fast, `certificate ${key}`).toEqual(expected);
    }
    expect(certificateFields(der), `certificate ${key}`).toEqual(expected);
  }
  return { distinct: seen.size, direct };
}

describe('x509 certificate fields', () => {
  const made = pemCertificates(join(fixtures, 'x509-certs.pem'));

  it('reads the common shapes directly, exactly as OpenSSL prints them', () => {
    const subjects = made.map((der) => certificateFieldsDirect(der)?.cert_subject ?? null);
    // Escaped characters, UTF-8, LDAP and EV attribute types, a 2076 expiry, an issuer that is not the subject.
    expect(subjects).toContain('O=Acme, Inc., OU=R+D "Lab", CN=a;b<c>d\\e');
    expect(subjects).toContain('CN=Überwachung Station 5, O=Klinikum Süd, OU=日本語');
    expect(subjects).toContain('DC=org, DC=example, UID=admin, CN=ldap');
    expect(subjects).toContain('jurisdictionC=US, businessCategory=Private Organization, organizationIdentifier=NTRUS-123, CN=ev.example.org');
    expect(subjects).toContain('CN= leading and trailing space , O=#hash');
    expect(subjects).toContain('CN=*.teletex.example, O=R&D Lab'); // ASCII TeletexString
    const far = made.map((der) => certificateFieldsDirect(der)).find((f) => f?.cert_subject === 'CN=far-future');
    expect(far?.cert_not_after?.startsWith('207')).toBe(true);
    const leaf = made.map((der) => certificateFieldsDirect(der)).find((f) => f?.cert_san_dns?.[0] === 'leaf.example.org');
    expect(leaf).toMatchObject({ cert_serial: 'FF', cert_issuer: 'C=US, O=Example Hospital CA, CN=Example Root', cert_self_signed: false });
    const { distinct, direct } = agree(made);
    expect(distinct).toBe(made.length);
    expect(direct).toBe(made.length - 4);
  });

  it('hands OpenSSL the shapes it does not read: multi-valued RDN, other attribute types, BMP and non-ASCII T61 strings, e-mail names', () => {
    const handed = made.filter((der) => certificateFieldsDirect(der) === null).map((der) => certificateFieldsOpenSsl(der)?.cert_subject);
    expect(handed.sort()).toEqual([
      'CN=multi + OU=valued',
      'CN=with-email-san',
      'CN=監視モニター, O=Légacy',
      'name=an attribute type read by OpenSSL only, CN=odd',
    ]);
  });

  it('gives null for bytes that are not a certificate, from either reader', () => {
    const der = made[1];
    for (const bad of [Buffer.alloc(0), der.subarray(0, 100), Buffer.concat([der, Buffer.from([0])]), Buffer.from('not a certificate')]) {
      expect(certificateFieldsDirect(bad)).toBeNull();
      expect(certificateFields(bad)).toEqual(certificateFieldsOpenSsl(bad));
    }
  });

  it('never throws on corrupted certificates, and reads their fields as OpenSSL does when both read them', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let both = 0;
    let onlyDirect = 0;
    for (let i = 0; i < 4000; i++) {
      const der = Buffer.from(made[i % made.length]);
      der[random(der.length)] ^= 1 << random(8);
      const fast = certificateFieldsDirect(der);
      if (fast === null) continue;
      const slow = certificateFieldsOpenSsl(der);
      if (slow === null) {
        onlyDirect++; // OpenSSL also checks the key, signature and extension encodings
        continue;
      }
      both++;
      // The fingerprint is of the bytes sent; OpenSSL's, of its re-encoding (they differ for non-DER input).
      const { cert_sha256: a, ...fastRest } = fast;
      const { cert_sha256: b, ...slowRest } = slow;
      expect(fastRest).toEqual(slowRest);
      expect(a).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(b).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    }
    expect(both).toBeGreaterThan(1000);
    expect(onlyDirect).toBeLessThan(both);
  });

  it('agrees with OpenSSL on every certificate sent in clear in the fixtures', async () => {
    const certs: Buffer[] = [];
    for (const path of capturesUnder(fixtures, (name) => name === 'formats')) certs.push(...(await capturedCertificates(path)));
    const { distinct, direct } = agree(certs);
    expect(distinct).toBeGreaterThan(0);
    expect(direct).toBe(distinct);
  });

  it.skipIf(!present)('agrees with OpenSSL on every certificate sent in clear in the public corpus', async () => {
    const certs: Buffer[] = [];
    for (const path of capturesUnder(corpus, (name) => name === 'bench')) certs.push(...(await capturedCertificates(path)));
    const { distinct, direct } = agree(certs);
    console.log(`x509: ${distinct} distinct certificates in the corpus, ${direct} read directly, ${distinct - direct} by OpenSSL`);
    expect(distinct).toBeGreaterThan(20);
    expect(direct / distinct).toBeGreaterThan(0.8);
  });
});
