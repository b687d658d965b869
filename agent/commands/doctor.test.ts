/**
 * `auscult doctor` on a veth pair the test creates (one end in a namespace), through the built
 * executable, and its judgements on recorded figures.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiExposureCheck, apiTlsCheck, apiTokensCheck } from '../doctor/api-checks.js';
import { capabilitiesCheck, ownCapabilities } from '../doctor/interface-checks.js';
import { captureBufferCheck, transmitCheck } from '../doctor/store-checks.js';
import type { LiveIngest } from '../store/ingest-query.js';
import { createVethLab, netnsUnavailable, sh, type VethLab } from '../testing/netns.js';
import { pcapBindingMissing, skipReason, toolMissing } from '../testing/tools.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli.js');
const skip = skipReason('auscult doctor namespace tests', netnsUnavailable(), pcapBindingMissing(), toolMissing('ping'));
const noEthtool = skip === undefined && skipReason('doctor VLAN offload test', toolMissing('ethtool')) !== undefined;

function doctor(args: string[], prefix: string[] = []) {
  const cmd = prefix.length ? prefix[0] : process.execPath;
  const argv = prefix.length ? [...prefix.slice(1), process.execPath, cli, 'doctor', ...args] : [cli, 'doctor', ...args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, AUSCULT_LOG_LEVEL: 'warn' } });
  const lines = r.stdout.trim().split('\n');
  const line = (check: string) => lines.find((l) => l.slice(6, 24).trim() === check) ?? `(no ${check} line in: ${r.stdout}${r.stderr})`;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, line };
}

const run = (over: Partial<LiveIngest>): LiveIngest => ({
  id: 1, source: 'eth1', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T01:00:00.000Z', status: 'complete',
  kernelDrops: 0, received: 1000, txPacketsStart: 7, txPacketsEnd: 7, ...over,
});

describe('doctor judgements', () => {
  it('capabilities: CAP_NET_RAW alone is right, CAP_NET_ADMIN is one too many, none fails', () => {
    const status = (eff: string) => ownCapabilities(`Name:\tnode\nCapEff:\t${eff}\nCapBnd:\t${eff}\n`);
    expect(capabilitiesCheck(10001, status('0000000000002000'))).toMatchObject({ status: 'ok', found: 'uid 10001 with CAP_NET_RAW, and not CAP_NET_ADMIN' });
    expect(capabilitiesCheck(10001, status('0000000000003000'))).toMatchObject({ status: 'warn', fix: expect.stringMatching(/CapabilityBoundingSet=CAP_NET_RAW.*--cap-add NET_RAW/) });
    expect(capabilitiesCheck(10001, status('0000000000000000'))).toMatchObject({ status: 'fail', found: expect.stringMatching(/without CAP_NET_RAW/) });
    expect(capabilitiesCheck(0, status('000001ffffffffff'))).toMatchObject({ status: 'ok', found: expect.stringMatching(/^root/) });
  });

  it('the transmit counter: still, moved, restarted, unknown', () => {
    expect(transmitCheck('eth1', run({}), 9)).toMatchObject({ status: 'ok', found: expect.stringMatching(/^eth1 sent 0 packets during the last capture/) });
    expect(transmitCheck('eth1', run({ txPacketsEnd: 10 }), 10)).toMatchObject({ status: 'fail', found: expect.stringMatching(/^eth1 sent 3 packets during/) });
    expect(transmitCheck('eth1', run({ status: 'running', finishedAt: null, txPacketsEnd: null }), 12)).toMatchObject({
      status: 'fail', found: expect.stringMatching(/^eth1 sent 5 packets since auscult started capturing/),
    });
    expect(transmitCheck('eth1', run({ status: 'running', txPacketsEnd: null }), 7).status).toBe('ok');
    expect(transmitCheck('eth1', run({ status: 'running' }), 2)).toMatchObject({ status: 'skip', found: expect.stringMatching(/recreated/) });
    expect(transmitCheck('eth1', undefined, 5)).toMatchObject({ status: 'skip' });
    expect(transmitCheck('eth1', run({ txPacketsStart: null }), 5)).toMatchObject({ status: 'skip' });
  });

  it('the capture buffer against the drops of the last capture', () => {
    expect(captureBufferCheck(run({ kernelDrops: 0 }), 32).status).toBe('ok');
    expect(captureBufferCheck(run({ kernelDrops: 250, received: 750 }), 32)).toMatchObject({
      status: 'warn', found: expect.stringMatching(/^250 frames dropped by the kernel \(25\.00 %\)/), fix: expect.stringMatching(/buffer_size_mib \(try 128\)/),
    });
    expect(captureBufferCheck(run({ kernelDrops: null, status: 'running' }), 32).status).toBe('skip');
    expect(captureBufferCheck(undefined, 32).status).toBe('skip');
  });

  it('the API address: loopback, everything, nowhere', () => {
    expect(apiExposureCheck('127.0.0.1', 8080, 'eth1').status).toBe('ok');
    expect(apiExposureCheck('::1', 8080, 'eth1').status).toBe('ok');
    expect(apiExposureCheck('0.0.0.0', 8080, 'eth1')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/management address/) });
    expect(apiExposureCheck('::', 8080, 'eth1').status).toBe('warn');
    expect(apiExposureCheck('192.0.2.77', 8080, 'eth1')).toMatchObject({ status: 'fail', found: '192.0.2.77 is not an address of this machine' });
  });
});

describe.skipIf(skip !== undefined)('auscult doctor on a veth pair', () => {
  let lab: VethLab;
  let work: string;
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does it)`);
    lab = createVethLab('doc', '198.18.87.1', '00:09:fb:87:00:01');
    work = mkdtempSync(join(tmpdir(), 'auscult-doctor-'));
  });
  afterAll(() => {
    lab?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a sensor port set up right: every check passes', () => {
    const r = doctor(['-i', lab.captureIf, '--db', join(work, 'none.db')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.line('interface')).toMatch(new RegExp(`^ok +interface +${lab.captureIf} is up`));
    expect(r.line('capture permission')).toMatch(/^ok .*opened .* for receiving/);
    expect(r.line('no address')).toMatch(/^ok /);
    expect(r.line('IPv6 off')).toMatch(/^ok .*disable_ipv6 = 1/);
    expect(r.line('promiscuous')).toMatch(/^ok .*turns it on while it captures/);
    expect(r.line('API address')).toMatch(/^ok +API address +127\.0\.0\.1:8080: this machine only/);
    expect(r.line('schema')).toMatch(/^-- .*no database at/);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ ok, \d+ warnings, 0 failures, \d+ skipped$/);
  });

  it.skipIf(noEthtool)('VLAN tag offload: a warning with the ethtool line, gone once it is off', () => {
    sh('ethtool', ['-K', lab.captureIf, 'rxvlan', 'on']);
    expect(doctor(['-i', lab.captureIf]).line('VLAN offload')).toMatch(new RegExp(`^WARN .*rx-vlan-offload on .*Fix: ethtool -K ${lab.captureIf} rxvlan off`));
    sh('ethtool', ['-K', lab.captureIf, 'rxvlan', 'off']);
    expect(doctor(['-i', lab.captureIf]).line('VLAN offload')).toMatch(/^ok .*passes 802\.1Q tags/);
  });

  it('a port that is down, addressed, with IPv6 on, an API on it: each named with its fix', () => {
    try {
      sh('ip', ['addr', 'add', '198.18.87.9/24', 'dev', lab.captureIf]);
      sh('sysctl', ['-qw', `net.ipv6.conf.${lab.captureIf}.disable_ipv6=0`]);
      const r = doctor(['-i', lab.captureIf, '--host', '198.18.87.9']);
      expect(r.code).toBe(1);
      expect(r.line('no address')).toMatch(new RegExp(`^WARN .*has 198\\.18\\.87\\.9.*Fix: ip addr flush dev ${lab.captureIf}`));
      expect(r.line('IPv6 off')).toMatch(new RegExp(`^WARN .*Fix: sysctl -w net\\.ipv6\\.conf\\.${lab.captureIf}\\.disable_ipv6=1`));
      expect(r.line('API address')).toMatch(new RegExp(`^FAIL .*belongs to the monitored interface ${lab.captureIf}`));
      sh('ip', ['link', 'set', lab.captureIf, 'down']);
      expect(doctor(['-i', lab.captureIf]).line('interface')).toMatch(new RegExp(`^FAIL .*is down. Fix: ip link set ${lab.captureIf} up`));
    } finally {
      sh('ip', ['addr', 'flush', 'dev', lab.captureIf]);
      sh('sysctl', ['-qw', `net.ipv6.conf.${lab.captureIf}.disable_ipv6=1`]);
      sh('ip', ['link', 'set', lab.captureIf, 'up']);
    }
  });

  it('the transmit counter since the capture started: 0 while passive, the count once the host sends', async () => {
    const db = join(work, 'tx.db');
    const pinger = lab.spawnInNs('ping', ['-q', '-i', '0.1', '198.18.87.2']);
    const child = spawn(process.execPath, [cli, 'capture', '-i', lab.captureIf, '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise((r) => child.on('exit', r));
    try {
      for (let i = 0; i < 100 && !err.includes('capture started'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(err).toMatch(/capture started/);
      expect(doctor(['-i', lab.captureIf, '--db', db]).line('transmitted')).toMatch(/^ok .*sent 0 packets since auscult started capturing/);
      // The host, not auscult, sends: an address on the port and a ping out of it.
      sh('ip', ['addr', 'add', '198.18.87.9/24', 'dev', lab.captureIf]);
      spawnSync('ping', ['-c', '2', '-i', '0.2', '-I', lab.captureIf, lab.peerIp]);
      const r = doctor(['-i', lab.captureIf, '--db', db]);
      expect(r.code).toBe(1);
      expect(r.line('transmitted')).toMatch(/^FAIL .*sent [2-9]\d* packets since auscult started capturing.*auscult never transmits/);
    } finally {
      child.kill('SIGTERM');
      await exited;
      pinger.kill('SIGKILL');
      sh('ip', ['addr', 'flush', 'dev', lab.captureIf]);
    }
    expect(doctor(['-i', lab.captureIf, '--db', db]).line('capture buffer')).toMatch(/^ok .*no kernel drops/);
  });

  const nobodyCanRun = process.getuid?.() === 0 && toolMissing('setpriv') === undefined &&
    spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', cli]).status === 0;
  if (!skip && !nobodyCanRun) console.warn(`doctor capability test skipped: needs root, setpriv (util-linux) and ${cli} readable by nobody`);
  it.skipIf(!nobodyCanRun)('as an unprivileged user: without CAP_NET_RAW it fails; with it alone, capture works', () => {
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const none = doctor(['-i', lab.captureIf, '--db', join(work, 'nobody.db')], asNobody);
    expect(none.code).toBe(1);
    expect(none.line('capabilities')).toMatch(/^FAIL .*uid 65534 without CAP_NET_RAW/);
    expect(none.line('capture permission')).toMatch(/^FAIL .*no permission to capture.*Fix: run auscult as root, or with CAP_NET_RAW/);
    const raw = doctor(['-i', lab.captureIf, '--db', join(work, 'nobody.db')], [...asNobody, '--inh-caps=+net_raw', '--ambient-caps=+net_raw']);
    expect(raw.line('capabilities')).toMatch(/^ok .*uid 65534 with CAP_NET_RAW, and not CAP_NET_ADMIN/);
    expect(raw.line('capture permission')).toMatch(/^ok /);
  });
});

const noOpenssl = skipReason('doctor TLS check', toolMissing('openssl'));
describe('the API\'s TLS and tokens', () => {
  it('plain HTTP: fine on loopback, a warning when allowed elsewhere, a failure otherwise', () => {
    expect(apiTlsCheck('127.0.0.1', undefined, undefined, false).status).toBe('ok');
    expect(apiTlsCheck('192.0.2.10', undefined, undefined, true).status).toBe('warn');
    expect(apiTlsCheck('192.0.2.10', undefined, undefined, false)).toMatchObject({ status: 'fail', found: expect.stringMatching(/would refuse plain HTTP/) });
    expect(apiTlsCheck('192.0.2.10', 'cert.pem', undefined, false)).toMatchObject({ status: 'fail', found: expect.stringMatching(/only one/) });
  });

  it.skipIf(noOpenssl !== undefined)('a certificate: its key, its expiry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auscult-doctor-tls-'));
    try {
      const make = (name: string, days: string) => execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-days', days, '-subj', '/CN=sensor', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
      make('a', '400');
      make('b', '10');
      expect(apiTlsCheck('192.0.2.10', join(dir, 'a.pem'), join(dir, 'a.key'), false)).toMatchObject({ status: 'ok', found: expect.stringMatching(/^HTTPS with CN=sensor, valid until 20/) });
      expect(apiTlsCheck('192.0.2.10', join(dir, 'a.pem'), join(dir, 'b.key'), false)).toMatchObject({ status: 'fail', found: expect.stringMatching(/is not the key of/) });
      expect(apiTlsCheck('192.0.2.10', join(dir, 'b.pem'), join(dir, 'b.key'), false)).toMatchObject({ status: 'warn', found: expect.stringMatching(/expires within 30 days/) });
      expect(apiTlsCheck('192.0.2.10', join(dir, 'a.pem'), join(dir, 'a.key'), false, Date.now() + 500 * 86_400_000).status).toBe('fail');
      expect(apiTlsCheck('192.0.2.10', join(dir, 'none.pem'), join(dir, 'a.key'), false)).toMatchObject({ status: 'fail', found: expect.stringMatching(/ENOENT/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tokens: none valid is a warning naming the command', () => {
    const now = Date.UTC(2026, 0, 1);
    const row = (name: string, expiresAtMs: number | null) => ({ name, scopes: ['read' as const], createdAtMs: 0, expiresAtMs, lastUsedAtMs: null });
    expect(apiTokensCheck(undefined).status).toBe('skip');
    expect(apiTokensCheck([], now)).toMatchObject({ status: 'warn', fix: 'auscult token create --name NAME --scopes read' });
    expect(apiTokensCheck([row('old', now - 1)], now)).toMatchObject({ status: 'warn', found: expect.stringMatching(/1 expired/) });
    expect(apiTokensCheck([row('old', now - 1), row('siem', null)], now)).toMatchObject({ status: 'ok', found: '1 valid (siem), 1 expired' });
  });
});
