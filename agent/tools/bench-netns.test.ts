/**
 * bench:api's network: the names, addresses and `ip` commands of its veth pair, the choice between it
 * and the loopback, and one real namespace (made and removed by the test) with a server inside that a
 * client in the root namespace reaches over an Ethernet MTU.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixtureDatabase, TOTAL_DEVICES } from '../../api/testing/fixture-db.js';
import { packageRoot } from '../config.js';
import { skipReason, toolMissing } from '../testing/tools.js';
import { benchCli, benchCliArgs, benchNodeFlags, benchToken, startBenchServer } from './bench-db.js';
import {
  ETHERNET_MTU, inNet, ipv4Networks, loopbackNet, netChoice, openBenchNet, setupCommands, teardownCommands, vethPlan, type BenchNet,
} from './bench-netns.js';

describe('bench:api veth plan', () => {
  it('names the namespace and both ends after the pid, within IFNAMSIZ, in a /30 of 10.233.0.0/16 the pid picks', () => {
    const p = vethPlan(4194303, []);
    expect(p).toEqual({
      ns: 'auscult-benchapi-4194303', hostIf: 'abapi4194303h', nsIf: 'abapi4194303n', hostIp: '10.233.255.253', nsIp: '10.233.255.254', mtu: ETHERNET_MTU,
    });
    expect(p.hostIf.length).toBeLessThanOrEqual(15);
    expect(vethPlan(1, [])).toMatchObject({ hostIp: '10.233.0.5', nsIp: '10.233.0.6' });
  });

  it('skips every /30 that overlaps a network of the root namespace', () => {
    const used = ipv4Networks([
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '9: x1    inet 10.233.0.6/30 scope global x1',
      '10: x2    inet 10.233.0.9/29 scope global x2',
    ].join('\n'));
    expect(used).toHaveLength(3);
    // .4/30 taken by x1, .8/30 and .12/30 by x2's /29: the next free one.
    expect(vethPlan(1, used)).toMatchObject({ hostIp: '10.233.0.17', nsIp: '10.233.0.18' });
    // A /16 over the whole range leaves nothing.
    expect(() => vethPlan(1, ipv4Networks('inet 10.233.7.1/16 '))).toThrow(/every \/30 of 10\.233\.0\.0\/16 overlaps/);
  });

  it('makes the namespace, the pair with the MTU on both ends, addresses and links up, enters it once; removes both', () => {
    const p = vethPlan(77, []);
    expect(setupCommands(p)).toEqual([
      ['netns', 'add', 'auscult-benchapi-77'],
      ['link', 'add', 'abapi77h', 'mtu', '1500', 'type', 'veth', 'peer', 'name', 'abapi77n', 'mtu', '1500', 'netns', 'auscult-benchapi-77'],
      ['addr', 'add', '10.233.1.53/30', 'dev', 'abapi77h'],
      ['link', 'set', 'abapi77h', 'up'],
      ['-n', 'auscult-benchapi-77', 'addr', 'add', '10.233.1.54/30', 'dev', 'abapi77n'],
      ['-n', 'auscult-benchapi-77', 'link', 'set', 'abapi77n', 'up'],
      ['-n', 'auscult-benchapi-77', 'link', 'set', 'lo', 'up'],
      ['netns', 'exec', 'auscult-benchapi-77', 'true'],
    ]);
    expect(teardownCommands(p)).toEqual([['link', 'del', 'abapi77h'], ['netns', 'del', 'auscult-benchapi-77']]);
  });
});

describe('bench:api network choice', () => {
  it('takes the veth pair as root with ip, else the loopback with the reason', () => {
    expect(netChoice(undefined, true, undefined)).toEqual({ use: 'veth', required: false });
    expect(netChoice('veth', true, undefined)).toEqual({ use: 'veth', required: true });
    expect(netChoice('loopback', true, undefined)).toEqual({ use: 'loopback', reason: 'BENCH_API_NET=loopback' });
    expect(netChoice(undefined, false, undefined)).toEqual({ use: 'loopback', reason: expect.stringMatching(/^not root/) });
    expect(netChoice('', true, 'no ip')).toEqual({ use: 'loopback', reason: 'no ip' });
  });

  it('fails when the veth pair is asked for and impossible, or the setting is unknown', () => {
    expect(() => netChoice('veth', false, undefined)).toThrow(/^BENCH_API_NET=veth: not root/);
    expect(() => netChoice('eth0', true, undefined)).toThrow(/BENCH_API_NET=eth0: give veth .* or loopback/);
  });

  it('runs on the loopback as before: 127.0.0.1, commands unchanged, its MTU and the reason in the note', () => {
    const net = openBenchNet({ BENCH_API_NET: 'loopback' });
    expect(net).toMatchObject({ kind: 'loopback', host: '127.0.0.1' });
    expect(net.note).toBe(`loopback, MTU ${readFileSync('/sys/class/net/lo/mtu', 'utf8').trim()} (no veth pair: BENCH_API_NET=loopback)`);
    expect(net.wrap('taskset', ['-c', '0', 'node'])).toEqual(['taskset', ['-c', '0', 'node']]);
    expect(net.serveArgs()).toEqual(['--host', '127.0.0.1']);
    expect(loopbackNet('x').note).toMatch(/\(no veth pair: x\)$/);
  });

  it('pins first, then enters the network: ip netns exec NS taskset -c CPU command', () => {
    const net = { ...loopbackNet(''), wrap: (c: string, a: readonly string[]): [string, string[]] => ['ip', ['netns', 'exec', 'NS', c, ...a]] };
    expect(inNet(net, '0', 'node', ['x.js'])).toEqual(['ip', ['netns', 'exec', 'NS', 'taskset', '-c', '0', 'node', 'x.js']]);
    expect(inNet(undefined, '0', 'node', ['x.js'])).toEqual(['taskset', ['-c', '0', 'node', 'x.js']]);
    expect(inNet(undefined, undefined, 'node', ['x.js'])).toEqual(['node', ['x.js']]);
  });
});

const netnsSkip = skipReason('bench:api veth pair', process.getuid?.() === 0 ? undefined : 'needs root (network namespaces)', toolMissing('ip'));
const netnsGone = (net: BenchNet & { ns: string; hostIf: string }): boolean =>
  !spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.split(' ')[0] === net.ns) && !existsSync(`/sys/class/net/${net.hostIf}`);

/** A node process in `net` answering `bytes`-byte bodies on its host; its pid and URL once it listens. */
async function tinyServer(net: BenchNet, bytes: number): Promise<{ pid: number; url: string; stop: () => Promise<void> }> {
  const code = `require('http').createServer((q, s) => s.end(Buffer.alloc(${bytes}, 'a'))).listen(0, '${net.host}', function () { console.log('at ' + this.address().port); });`;
  const child = spawn(...net.wrap(process.execPath, ['-e', code]), { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => { const m = /at (\d+)/.exec(s); if (m) resolve(m[1]); });
    child.once('exit', (c) => reject(new Error(`tiny server exited ${c}`)));
  });
  return { pid: child.pid ?? 0, url: `http://${net.host}:${port}/`, stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); } };
}

describe.skipIf(netnsSkip !== undefined)('bench:api veth pair (real namespace)', () => {
  it('serves from inside the namespace to the root namespace over MTU 1500, the pid is node\'s, and removes everything', async () => {
    const net = openBenchNet({ BENCH_API_NET: 'veth' });
    const plan = vethPlan(process.pid, []);
    const names = { ...net, ns: plan.ns, hostIf: plan.hostIf };
    try {
      expect(net.kind).toBe('veth');
      expect(net.note).toMatch(new RegExp(`^veth pair, MTU 1500: servers in network namespace ${plan.ns} at ${net.host.replace(/\./g, '\\.')}`));
      expect(readFileSync(`/sys/class/net/${plan.hostIf}/mtu`, 'utf8').trim()).toBe('1500');
      expect(spawnSync(...net.wrap('cat', [`/sys/class/net/${plan.nsIf}/mtu`]), { encoding: 'utf8' }).stdout.trim()).toBe('1500');
      const server = await tinyServer(net, 240_000);
      try {
        // ip netns exec execs: the child is the node process itself, whose CPU time the bench reads.
        expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0')[0]).toBe(process.execPath);
        const r = await fetch(server.url);
        expect(r.status).toBe(200);
        expect((await r.arrayBuffer()).byteLength).toBe(240_000);
        // Not reachable on the loopback: the answer crossed the veth pair.
        expect(spawnSync('ip', ['-o', 'route', 'get', net.host], { encoding: 'utf8' }).stdout).toContain(`dev ${plan.hostIf}`);
      } finally {
        await server.stop();
      }
    } finally {
      net.close();
    }
    expect(netnsGone(names)).toBe(true);
    net.close();
  });

  it('runs auscult serve and the control server inside, answering the root namespace with a token (Host check included)', async () => {
    if (skipReason('bench:api auscult serve in the namespace', existsSync(benchCli()) ? undefined : 'dist/ not built (npm run build)') !== undefined) return;
    const db = buildFixtureDatabase();
    const token = benchToken(db, 'bench-netns-test');
    const net = openBenchNet({ BENCH_API_NET: 'veth' });
    try {
      const server = await startBenchServer(db, [], { net });
      try {
        expect(server.url).toMatch(new RegExp(`^http://${net.host.replace(/\./g, '\\.')}:\\d+$`));
        // The server itself (its CPU time is read from /proc), started as the executable starts it.
        expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0').slice(0, -1))
          .toEqual(expect.arrayContaining([process.execPath, ...benchCliArgs(), 'serve', '--host', net.host, '--allow-plain-http']));
        expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0').slice(0, 2 + benchNodeFlags().length)).toEqual([process.execPath, ...benchCliArgs()]);
        const r = await fetch(`${server.url}/api/v1/devices?limit=100`, { headers: { authorization: `Bearer ${token}` } });
        expect(r.status).toBe(200);
        expect(((await r.json()) as { items: unknown[] }).items).toHaveLength(TOTAL_DEVICES);
      } finally {
        await server.stop();
      }
      // The control as startControlServer runs it (this test imports the TypeScript, so the built script).
      const control = spawn(...inNet(net, undefined, process.execPath, [join(packageRoot(), 'dist', 'agent', 'tools', 'bench-control-server.js'), '3000', net.host]),
        { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          control.stdout.setEncoding('utf8').on('data', (t: string) => { const m = /control at (\S+)/.exec(t); if (m) resolve(m[1]); });
          control.once('exit', (c) => reject(new Error(`control exited ${c}`)));
        });
        expect(url.startsWith(`http://${net.host}:`)).toBe(true);
        expect((await (await fetch(`${url}/`)).arrayBuffer()).byteLength).toBe(3000);
      } finally {
        control.kill('SIGTERM');
      }
    } finally {
      net.close();
      rmSync(dirname(db), { recursive: true, force: true });
    }
  });

  it('removes the namespace and its server when the bench is interrupted (SIGTERM)', async () => {
    const dist = join(packageRoot(), 'dist', 'agent', 'tools', 'bench-netns.js');
    if (skipReason('bench:api veth cleanup on SIGTERM', existsSync(dist) ? undefined : 'dist/ not built (npm run build)') !== undefined) return;
    const code = `import(${JSON.stringify(dist)}).then(({ openBenchNet }) => { const net = openBenchNet({ BENCH_API_NET: 'veth' });
      require('child_process').spawn(...net.wrap('sleep', ['60']), { stdio: 'ignore' }); console.log('ready ' + process.pid); setInterval(() => {}, 1000); });`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (s: string) => { const m = /ready (\d+)/.exec(s); if (m) resolve(Number(m[1])); });
      child.once('exit', (c) => reject(new Error(`exited ${c}`)));
    });
    const plan = vethPlan(pid, []);
    expect(existsSync(`/sys/class/net/${plan.hostIf}`)).toBe(true);
    const sleeper = spawnSync('ip', ['netns', 'pids', plan.ns], { encoding: 'utf8' }).stdout.trim();
    expect(sleeper).toMatch(/^\d+$/);
    child.kill('SIGTERM');
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
    expect(signal).toBe('SIGTERM');
    expect(netnsGone({ ...loopbackNet(''), ns: plan.ns, hostIf: plan.hostIf })).toBe(true);
    // The server left inside was stopped, not orphaned (gone, or a zombie awaiting its reaper).
    await new Promise((r) => setTimeout(r, 200));
    const state = existsSync(`/proc/${sleeper}/stat`) ? readFileSync(`/proc/${sleeper}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });
});
