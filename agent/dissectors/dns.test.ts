import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dns, llmnr } from './dns.js';
import {
  corpusCaptures, corpusDir, corpusPresent, fixturesDir, fuzz, runCapture, shapeErrors, type Routed,
} from '../testing/udp-dissectors.js';
import type { PacketDissector } from './types.js';

if (!corpusPresent) console.warn(`dns/llmnr corpus tests skipped: ${corpusDir} not found (../shared sits beside the checkout)`);

describe('dns on test-fixtures/lan-http.pcap (curl resolving names)', async () => {
  const routed = await runCapture(join(fixturesDir, 'lan-http.pcap'), dns);

  it('keeps the names a client looks up, about the client', () => {
    const obs = routed.flatMap((r) => r.out ?? []);
    expect(shapeErrors(dns, obs)).toEqual([]);
    expect(obs[0]).toMatchObject({ device: { ip: '10.20.0.21', mac: '00:1b:21:0a:00:21' }, fields: { queried_names: ['pacs.ward3.example'] } });
    expect(new Set(obs.flatMap((o) => o.fields.queried_names as string[]))).toEqual(
      new Set(['pacs.ward3.example', 'ehr.ward3.example', 'nosuch.ward3.example']),
    );
  });

  it('accepts responses as DNS but keeps nothing from them', () => {
    expect(routed.filter((r) => r.out?.length === 0).length).toBe(6);
    expect(routed.every((r) => r.out !== null)).toBe(true);
  });

  it('never throws on truncated or corrupted packets', () => {
    expect(fuzz(dns, routed.map((r) => r.captured))).toBeGreaterThan(2000);
  });
});

const evidenceLlmnr = join(fixturesDir, 'evidence-llmnr.pcap');
if (!existsSync(evidenceLlmnr)) console.warn(`llmnr fixture tests skipped: ${evidenceLlmnr} not found`);

describe.skipIf(!existsSync(evidenceLlmnr))('llmnr on test-fixtures/evidence-llmnr.pcap (systemd-resolved)', async () => {
  const routed = existsSync(evidenceLlmnr) ? await runCapture(evidenceLlmnr, llmnr) : [];
  const obs = routed.flatMap((r) => r.out ?? []);

  it('a response names the responder; queries name what the sender looks for', () => {
    expect(shapeErrors(llmnr, obs)).toEqual([]);
    expect(obs.filter((o) => o.fields.message_type === 'response')).toEqual([
      expect.objectContaining({ device: { ip: '10.30.0.10', mac: '44:4b:5d:1e:00:10' }, fields: { message_type: 'response', hostname: 'pacs-ward3' } }),
    ]);
    expect(obs).toContainEqual(expect.objectContaining({
      device: { ip: '10.30.0.50', mac: '00:1b:21:1e:00:50' }, fields: { message_type: 'query', queried_names: ['ehr-ward3'] },
    }));
  });

  it('never throws on truncated or corrupted packets', () => {
    expect(fuzz(llmnr, routed.map((r) => r.captured))).toBeGreaterThan(1000);
  });
});

describe.skipIf(!corpusPresent)('dns and llmnr on public captures', () => {
  const sweep = async <S extends 'dns' | 'llmnr'>(d: PacketDissector<S>) => {
    const all: Routed<S>[] = [];
    for (const file of corpusCaptures()) all.push(...(await runCapture(join(corpusDir, file), d)));
    return all;
  };

  it('every port-53 packet of the corpus: queries give names, responses nothing, none is rejected', async () => {
    const all = await sweep(dns);
    expect(all.length).toBeGreaterThan(2500);
    const obs = all.flatMap((r) => r.out ?? []);
    expect(shapeErrors(dns, obs)).toEqual([]);
    expect(all.filter((r) => r.out === null).map((r) => r.frame)).toEqual([]);
    expect(obs.every((o) => Object.keys(o.fields).join() === 'queried_names')).toBe(true);
  });

  it('dns never throws on truncated or corrupted corpus packets (EDNS, many answers)', async () => {
    const routed = await runCapture(join(corpusDir, 'mdns/pcpp__DnsPackets.pcap'), dns);
    const largest = routed.map((r) => r.captured).sort((a, b) => b.bytes.length - a.bytes.length).slice(0, 20);
    expect(fuzz(dns, largest)).toBeGreaterThan(10_000);
  });

  it('llmnr queries (Windows looking up wpad and peers)', async () => {
    const obs = (await sweep(llmnr)).flatMap((r) => r.out ?? []);
    expect(shapeErrors(llmnr, obs)).toEqual([]);
    expect(obs).toContainEqual(expect.objectContaining({ fields: { message_type: 'query', queried_names: ['wpad'] } }));
    expect(obs).toContainEqual(expect.objectContaining({
      device: { ip: '192.168.5.44', mac: '48:d2:24:63:31:00' }, fields: { message_type: 'query', queried_names: ['jason-PC'] },
    }));
  });

  it('llmnr never throws on truncated or corrupted packets', async () => {
    const routed = await runCapture(join(corpusDir, 'mixed/ndpi__1kxun.pcap'), llmnr);
    expect(fuzz(llmnr, routed.slice(0, 4).map((r) => r.captured))).toBeGreaterThan(400);
  });
});
