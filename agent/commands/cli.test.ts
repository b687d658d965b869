/**
 * The `auscult` executable end to end (the built dist/ — `npm test` builds first), on captures recorded
 * from real software.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../../api/testing/test-app.js';
import { StoreReader } from '../store/reader.js';
import { Store } from '../store/store.js';
import { pcapBindingMissing, skipReason, toolMissing } from '../testing/tools.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'agent', 'cli.js');
const fixture = join(root, 'test-fixtures', 'lan-dhcp.pcap');
let work: string;

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env, AUSCULT_LOG_LEVEL: 'warn' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
  work = mkdtempSync(join(tmpdir(), 'auscult-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the executable', () => {
  it('is one bundle (agent/tools/bundle.ts): it imports only its chunks, packages and Node modules', () => {
    const text = readFileSync(cli, 'utf8');
    expect(text.startsWith('#!/usr/bin/env -S node --v8-pool-size=0\n')).toBe(true);
    const specifiers = [...text.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(['"]([^'"]+)['"]\)/g)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(5);
    for (const s of specifiers) expect(s, s).toMatch(/^(node:|\.\/chunk-[\w-]+\.js$|[@a-z])/);
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('auscult read / devices', () => {
  it('ingests a capture and prints a summary', () => {
    const db = join(work, 'a.db');
    const r = run(['read', fixture, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/read 1 file\(s\): [\d,]+ packets/);
    expect(r.stdout).toMatch(/^devices: \d+ new, 0 known seen again \| \d+ in the database$/m);
    expect(r.stdout).toMatch(/^flows \d+ \| malformed 0/m);
    expect(r.stdout).toMatch(/^rejected by dissectors \(malformed messages, counted and skipped\): none$/m);
    expect(r.stdout).toMatch(/packets\/s/);
    expect(r.stdout).toMatch(/of which packets \d+\.\d\d s \| database writes \d+\.\d\d s \| identification \d+\.\d\d s/);
  });

  it('accounts for its time in --json: database writes and identification are measured parts of the elapsed time', () => {
    const db = join(work, 'split.db');
    const started = performance.now();
    const r = run(['read', fixture, '--db', db, '--json', '--no-progress']);
    const wallMs = performance.now() - started;
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { elapsedMs: number; timingsMs: { packets: number; store: number; identification: number }; devices: { new: number; total: number }; complete: boolean; files: { complete: boolean; reason: string | null }[] };
    expect(s.devices.new).toBeGreaterThan(0);
    expect(s.devices.total).toBe(s.devices.new);
    expect(s.complete).toBe(true);
    expect(s.files).toEqual([expect.objectContaining({ complete: true, reason: null })]);
    const { packets, store, identification } = s.timingsMs;
    // Devices were written and identified: both were measured, and each is a part of the whole.
    expect(store).toBeGreaterThan(0);
    expect(identification).toBeGreaterThan(0);
    expect(store + identification).toBeLessThan(s.elapsedMs);
    // Packets are what remains (reading, decoding, flows, dissectors): a capture of packets takes some.
    expect(packets).toBeGreaterThan(0);
    // The process's clock agrees with the test's: its elapsed time fits in the wall time of the run.
    expect(s.elapsedMs).toBeLessThan(wallMs);
  });

  it('agent/tools/warmup.js reads one capture several times in one process, each time into a new database', () => {
    const tool = join(root, 'dist', 'agent', 'tools', 'warmup.js');
    const r = spawnSync(process.execPath, [tool, fixture, '2'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const rounds = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { round: number; frames: number; timingsMs: { store: number } });
    expect(rounds.map((x) => x.round)).toEqual([1, 2]);
    // Each round starts from an empty database: the same packets, and the same devices to write.
    expect(rounds[1].frames).toBe(rounds[0].frames);
    for (const x of rounds) expect(x.timingsMs.store).toBeGreaterThan(0);
    const usage = spawnSync(process.execPath, [tool], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/usage: node dist\/agent\/tools\/warmup\.js FILE/);
  });

  it('prints devices as JSON: the objects the API returns', () => {
    const db = join(work, 'a.db');
    const r = run(['devices', '--db', db, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const devices = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(devices.length).toBeGreaterThan(2);
    for (const d of devices) {
      for (const key of ['id', 'mac', 'mac_vendor', 'ips', 'vlans', 'first_seen', 'last_seen', 'packets', 'bytes', 'services']) {
        expect(d).toHaveProperty(key);
      }
      expect(d.first_seen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const reader = StoreReader.open(db);
    expect(devices).toEqual([...reader.allDevices()]);
    reader.close();
    // The dnsmasq host (HP OUI 3c:52:82) is bound to 10.20.0.10 by its own ARP packets.
    const server = devices.find((d) => d.mac === '3c:52:82:0a:00:10') as { ips: { ip: string; sources: string[] }[]; mac_vendor: string };
    expect(server.mac_vendor).toMatch(/Hewlett/i);
    expect(server.ips).toContainEqual(expect.objectContaining({ ip: '10.20.0.10', sources: expect.arrayContaining(['arp']) }));
  });

  it('prints CSV and a table', () => {
    const db = join(work, 'a.db');
    const csv = run(['devices', '--db', db, '--format', 'csv']);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('id,mac,mac_vendor,vendor,model,category,criticality,medical,confidence,os,firmware,hostnames,kind,is_router,ips,vlans,first_seen,last_seen,packets,bytes,services');
    expect(csv.stdout).toContain('ws-nurse-01');
    const json = JSON.parse(run(['devices', '--db', db, '--format', 'json']).stdout) as unknown[];
    expect(lines).toHaveLength(json.length + 1);
    const table = run(['devices', '--db', db]);
    expect(table.stdout).toMatch(/^ID\s+MAC\s+VENDOR\s+MODEL\s+CATEGORY\s+MED\s+CONF\s+HOSTNAME/);
    expect(table.stdout).toMatch(/mx800-icu3-bed07/);
    expect(table.stdout).toMatch(new RegExp(`${json.length} device\\(s\\)`));
  });

  it('skips a file already ingested (same size and first MiB, under any name); --force merges it again into the same devices', () => {
    const db = join(work, 'merge.db');
    run(['read', fixture, '--db', db]);
    const once = JSON.parse(run(['devices', '--db', db, '--format', 'json']).stdout) as { id: number; mac: string; packets: number }[];
    const copy = join(work, 'renamed.pcap');
    writeFileSync(copy, readFileSync(fixture));
    const again = run(['read', copy, '--db', db]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^read 0 file\(s\), skipped 1 already ingested: 0 packets/);
    expect(again.stdout).toMatch(/^skipped: .*renamed\.pcap: already ingested completely by ingest 1 \(lan-dhcp\.pcap, .*\); --force reads it again$/m);
    expect(JSON.parse(run(['devices', '--db', db, '--format', 'json']).stdout)).toEqual(once);
    const forced = run(['read', '--force', fixture, copy, '--db', db]);
    expect(forced.stdout).toMatch(new RegExp(`^devices: 0 new, ${once.length} known seen again \\| ${once.length} in the database$`, 'm'));
    const thrice = JSON.parse(run(['devices', '--db', db, '--format', 'json']).stdout) as typeof once;
    expect(thrice.map((d) => [d.id, d.mac])).toEqual(once.map((d) => [d.id, d.mac]));
    for (let i = 0; i < once.length; i++) expect(thrice[i].packets).toBe(once[i].packets * 3);
  });

  it('reads a capture from standard input with -, never skipped', () => {
    const db = join(work, 'stdin.db');
    const read = () => spawnSync(process.execPath, [cli, 'read', '-', '--db', db], { input: readFileSync(fixture), encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' } });
    const first = read();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^read 1 file\(s\): [\d,]+ packets/);
    const second = read();
    expect(second.stdout).toMatch(/^devices: 0 new, \d+ known seen again/m);
  });

  it('checks every path before reading any: one missing among several, nothing read, exit 2', () => {
    const db = join(work, 'paths.db');
    const r = run(['read', fixture, join(work, 'missing.pcap'), work, join(root, 'README.md'), '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^auscult: 3 of the 4 files cannot be read; none was read:\n/);
    expect(r.stderr).toMatch(/^ {2}cannot read .*missing\.pcap: no such file \(check the path\)$/m);
    expect(r.stderr).toMatch(/^ {2}.* is a directory, not a capture file/m);
    expect(r.stderr).toMatch(/^ {2}.*README\.md is not a pcap or pcapng capture/m);
    expect(existsSync(db)).toBe(false);
  });

  it('a record with an impossible length: the file is incomplete with the reason, in --json, the summary and the ingest row', () => {
    const bad = join(work, 'bad-length.pcap');
    const record = Buffer.alloc(16 + 64);
    record.writeUInt32LE(0x7fffffff, 8); // caplen
    record.writeUInt32LE(0x7fffffff, 12);
    writeFileSync(bad, Buffer.concat([readFileSync(fixture), record]));
    const db = join(work, 'bad-length.db');
    const json = run(['read', bad, '--db', db, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const s = JSON.parse(json.stdout) as { complete: boolean; files: { complete: boolean; reason: string; frames: number }[] };
    expect(s.complete).toBe(false);
    expect(s.files[0]).toMatchObject({ complete: false, reason: expect.stringMatching(/claims 2147483647 captured bytes .*reading stopped there/) });
    expect(s.files[0].frames).toBeGreaterThan(0);
    const text = run(['read', '--force', bad, '--db', db]);
    expect(text.stdout).toMatch(/^incomplete: .*bad-length\.pcap: record at byte \d+ claims 2147483647 captured bytes/m);
    expect(text.stdout).toMatch(/^the ingest is incomplete/m);
    const reader = StoreReader.open(db);
    expect(reader.ingests().map((i) => ({ status: i.status, reason: i.reason }))).toEqual([
      { status: 'incomplete', reason: expect.stringMatching(/claims 2147483647/) },
      { status: 'incomplete', reason: expect.stringMatching(/claims 2147483647/) },
    ]);
    reader.close();
  });

  it('shows what the dissectors rejected in the summary', () => {
    const r = run(['read', join(root, 'test-fixtures', 'dicom-reject.pcap'), join(root, 'test-fixtures', 'evidence-snmp.pcap'), '--db', join(work, 'rejects.db')]);
    expect(r.code, r.stderr).toBe(0);
    const json = run(['read', '--force', '--json', join(root, 'test-fixtures', 'dicom-reject.pcap'), join(root, 'test-fixtures', 'evidence-snmp.pcap'), '--db', join(work, 'rejects.db')]);
    const rejected = (JSON.parse(json.stdout) as { dissectors: { rejected: Record<string, number> } }).dissectors.rejected;
    const line = /^rejected by dissectors \(malformed messages, counted and skipped\): (.*)$/m.exec(r.stdout)?.[1];
    const shown = Object.entries(rejected).filter(([, n]) => n > 0);
    expect(line).toBe(shown.length ? shown.sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') : 'none');
  });

  it('--worker (dissectors on a worker thread) gives the same devices', () => {
    const captures = ['lan-dhcp.pcap', 'evidence-tls.pcap', 'evidence-mdns.pcap', 'dicom-store.pcap', 'hl7-pcd01.pcap'].map((f) => join(root, 'test-fixtures', f));
    const inline = join(work, 'inline.db');
    const threaded = join(work, 'threaded.db');
    expect(run(['read', '--db', inline, ...captures]).code).toBe(0);
    const r = run(['read', '--worker', '--db', threaded, ...captures]);
    expect(r.code, r.stderr).toBe(0);
    const devices = (db: string) => run(['devices', '--db', db, '--format', 'json']).stdout;
    expect(devices(threaded)).toBe(devices(inline));
  });

  it('uses AUSCULT_DB when --db is not given', () => {
    const db = join(work, 'env.db');
    expect(run(['read', fixture], { AUSCULT_DB: db }).code).toBe(0);
    expect(existsSync(db)).toBe(true);
  });

  it('filters devices by vendor, MAC and IP', () => {
    const db = join(work, 'a.db');
    const byVendor = JSON.parse(run(['devices', '--db', db, '--format', 'json', '--vendor', 'hewlett']).stdout) as { mac: string }[];
    expect(byVendor.map((d) => d.mac)).toEqual(['3c:52:82:0a:00:10']);
    const byMac = JSON.parse(run(['devices', '--db', db, '--format', 'json', '--mac', '3C-52-82-0A-00-10']).stdout) as unknown[];
    expect(byMac).toEqual(byVendor.length ? [expect.objectContaining({ mac: '3c:52:82:0a:00:10' })] : []);
    const byIp = JSON.parse(run(['devices', '--db', db, '--format', 'json', '--ip', '10.20.0.10']).stdout) as { mac: string }[];
    expect(byIp.map((d) => d.mac)).toContain('3c:52:82:0a:00:10');
  });
});

describe('clear one-line errors with the fix', () => {
  it('missing file', () => {
    const r = run(['read', join(work, 'nope.pcap'), '--db', join(work, 'e.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^auscult: cannot read .*nope\.pcap: no such file \(check the path\)$/);
  });

  it('not a capture', () => {
    const txt = join(work, 'notes.txt');
    writeFileSync(txt, 'these are not packets\n');
    const r = run(['read', txt, '--db', join(work, 'e.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a pcap or pcapng capture/);
    expect(r.stderr).toMatch(/editcap/);
  });

  it('no database yet', () => {
    const r = run(['devices', '--db', join(work, 'none.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no database at .*none\.db: ingest a capture first/);
  });

  it('capture or run without --interface: a usage error, exit 2', () => {
    for (const command of ['capture', 'run']) {
      const r = run([command, '--db', join(work, 'e.db')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/required option '-i, --interface <name>' not specified/);
    }
    expect(run(['read']).code).toBe(2);
    expect(run(['--help']).code).toBe(0);
  });

  const pcapSkip = skipReason('unknown-interface test', pcapBindingMissing());
  it.skipIf(pcapSkip !== undefined)('unknown interface, listing the ones there are', () => {
    const r = run(['capture', '--interface', 'nosuch0', '--db', join(work, 'e.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nosuch0/);
    expect(r.stderr).toMatch(/\blo\b/);
  });

  it('bad flag values', () => {
    const r = run(['devices', '--format', 'xml']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/xml/);
    expect(run(['devices', '--mac', 'zz:zz', '--db', join(work, 'a.db')]).stderr).toMatch(/not a MAC address/);
  });
});

const fifoSkip = skipReason('reads from a FIFO', toolMissing('mkfifo'));
describe.skipIf(fifoSkip !== undefined)('stopping and killing leave a consistent database', () => {
  /**
   * `auscult read` on a FIFO fed by this test: the capture never ends until we say so, so the signal
   * always arrives mid-read, whatever the speed of the machine.
   */
  async function readFromFifo(name: string, flushEvery: number) {
    const fifo = join(work, `${name}.fifo`);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const db = join(work, `${name}.db`);
    const child = spawn(process.execPath, [cli, 'read', fifo, '--db', db, '--flush-every', String(flushEvery)], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' },
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
      child.on('exit', (code, signal) => r({ code, signal, at: Date.now() })));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const fd = openSync(fifo, 'w'); // returns once the child opened the FIFO for reading
    const src = readFileSync(fixture);
    writeSync(fd, src);
    for (let i = 0; i < 20; i++) writeSync(fd, src.subarray(24));
    return { child, exited, fd, db, output: () => out };
  }

  async function waitFor(check: () => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!check()) {
      if (Date.now() > until) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function devicesIn(db: string): number {
    try {
      const reader = StoreReader.open(db);
      try {
        return reader.deviceCount();
      } finally {
        reader.close();
      }
    } catch {
      return 0;
    }
  }

  it('SIGINT stops a read within two seconds, flushes and records it as interrupted', async () => {
    const r = await readFromFifo('sigint', 1000);
    await waitFor(() => devicesIn(r.db) > 0, 10_000);
    const sent = Date.now();
    r.child.kill('SIGINT');
    // As with Ctrl-C on `tcpdump -w - | auscult read /dev/stdin`, the writer stops too.
    await new Promise((res) => setTimeout(res, 100));
    closeSync(r.fd);
    const { code, at } = await r.exited;
    expect(at - sent).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(r.output()).toMatch(/^interrupted after 1 file/);
    expect(r.output()).toMatch(/^interrupted: .*sigint\.fifo: interrupted after [\d,]+ frames: the rest was not read/m);
    expect(r.output()).not.toMatch(/truncat/);
    const reader = StoreReader.open(r.db);
    const [ingest] = reader.ingests();
    expect(ingest.status).toBe('interrupted');
    expect(ingest.reason).toMatch(/^interrupted after \d+ frames/);
    expect(ingest.frames).toBeGreaterThan(1000);
    expect(reader.integrityProblems()).toEqual([]);
    reader.close();
  });

  it('Ctrl-C that also stops the writer of the pipe in the middle of a record: interrupted, not truncated', async () => {
    const r = await readFromFifo('sigint-cut', 1000);
    await waitFor(() => devicesIn(r.db) > 0, 10_000);
    // As `tcpdump -w - | auscult read -` on Ctrl-C: the writer dies mid-record, the signal arrives with its end.
    writeSync(r.fd, readFileSync(fixture).subarray(24, 24 + 30));
    closeSync(r.fd);
    r.child.kill('SIGINT');
    const { code } = await r.exited;
    expect(code).toBe(0);
    expect(r.output()).toMatch(/^interrupted after 1 file/);
    expect(r.output()).not.toMatch(/truncat/);
    const reader = StoreReader.open(r.db);
    expect(reader.ingests()[0].status).toBe('interrupted');
    reader.close();
  });

  function framesRecorded(db: string): number {
    try {
      const reader = StoreReader.open(db);
      try {
        return reader.ingests()[0]?.frames ?? 0;
      } finally {
        reader.close();
      }
    } catch {
      return 0;
    }
  }

  it('SIGKILL in the middle of an ingest leaves a database that passes integrity checks', async () => {
    const r = await readFromFifo('sigkill', 1000);
    // Devices written, and the read's progress (written every second while it runs).
    await waitFor(() => devicesIn(r.db) > 0 && framesRecorded(r.db) > 0, 10_000);
    r.child.kill('SIGKILL');
    const { signal } = await r.exited;
    closeSync(r.fd);
    expect(signal).toBe('SIGKILL');
    // Opened as the next writer would (it recovers the WAL the killed process left).
    const store = new Store(r.db);
    const reader = store.reader;
    expect(reader.integrityProblems()).toEqual([]);
    const devices = [...reader.allDevices()];
    expect(devices.length).toBeGreaterThan(0);
    expect(devices.every((d) => d.packets > 0 && d.ips.every((a) => a.first_seen <= a.last_seen))).toBe(true);
    // Its ingest row never finished; readers show it as interrupted (its process is gone).
    expect(reader.ingests()[0].finished_at).toBeNull();
    store.close();
    const ro = StoreReader.open(r.db);
    const app = await testApp(ro);
    const health = (await app.inject('/health')).json() as { last_ingest: { status: string; reason: string; frames: number }; ingests: Record<string, number> };
    await app.close();
    ro.close();
    expect(health.last_ingest).toMatchObject({ status: 'interrupted', reason: expect.stringMatching(/ended without finishing it/) });
    expect(health.last_ingest.frames).toBeGreaterThan(0); // the progress it wrote before it died
    expect(health.ingests).toMatchObject({ running: 0, interrupted: 1 });
  });
});
