/**
 * The network `npm run bench:api` measures over. A SIEM polls the sensor over Ethernet; the loopback's
 * MTU is 64 KB, and with it answers of a few hundred KB meet Linux's 40 ms delayed-ACK stalls that no
 * Ethernet client sees (BENCHMARKS.md, 2026-12-07: a plain node:http server shows them too). So the
 * bench's servers run in a network namespace of their own, reached over a veth pair with an Ethernet
 * MTU (1500): `ip netns exec NS taskset -c CPU node ...` (ip and taskset both exec, so the child's pid
 * is the node process's and its CPU time is read from /proc as before), and the clients connect from
 * the root namespace to the namespace's address.
 * Without root, without `ip`, or when the namespace cannot be made, the bench runs on the loopback as
 * before and says why; BENCH_API_NET=loopback asks for the loopback, BENCH_API_NET=veth for the veth
 * pair or an error. The namespace and the veth pair are removed when the bench ends, fails, or is
 * interrupted (SIGINT, SIGTERM).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { onCpus } from './bench-cpus.js';

export const ETHERNET_MTU = 1500;
/** The /30 subnets of 10.233.0.0/16 the veth pair takes one of (host side .1, namespace side .2). */
const SUBNET_BASE = (10 << 24) | (233 << 16);
const SUBNET_COUNT = 1 << 14;
/** Linux's IFNAMSIZ less the terminating NUL. */
const IFNAME_MAX = 15;

/** Where the bench's servers run and how the clients reach them. */
export interface BenchNet {
  kind: 'veth' | 'loopback';
  /** The address the servers listen on and the clients connect to. */
  host: string;
  /** The MTU of the path between them. */
  mtu: number;
  /** For the output's header: which network, and why the loopback when it is. */
  note: string;
  /** `command args` run inside the network (in the namespace, for a veth pair). */
  wrap(command: string, args: readonly string[]): [string, string[]];
  /** The serve flags that listen there (`--host`, and `--allow-plain-http` off the loopback). */
  serveArgs(): string[];
  /** Removes the namespace and the veth pair (idempotent, synchronous: it runs from exit handlers too). */
  close(): void;
}

/** `command args` on `cpus` (bench-cpus.ts) inside `net`; on the loopback when `net` is undefined. */
export function inNet(net: BenchNet | undefined, cpus: string | undefined, command: string, args: readonly string[]): [string, string[]] {
  const pinned = onCpus(cpus, command, args);
  return net === undefined ? pinned : net.wrap(...pinned);
}

/** The names and addresses of one veth pair. */
export interface VethPlan { ns: string; hostIf: string; nsIf: string; hostIp: string; nsIp: string; mtu: number }

const ipv4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const toInt = (a: string): number => a.split('.').reduce((n, b) => n * 256 + Number(b), 0);

/** The IPv4 networks (address, prefix length) in `ip -o -4 addr show` output. */
export function ipv4Networks(ipAddrOutput: string): { address: number; prefix: number }[] {
  return [...ipAddrOutput.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\/(\d+)/g)].map((m) => ({ address: toInt(m[1]), prefix: Number(m[2]) }));
}

const overlaps = (a: number, pa: number, b: number, pb: number): boolean => {
  const p = Math.min(pa, pb);
  const mask = p === 0 ? 0 : (~0 << (32 - p)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
};

/**
 * Names unique to this process (`pid`) and the first /30 of 10.233.0.0/16 from one the pid picks that
 * overlaps none of `inUse` (the root namespace's networks). Throws when every one does.
 */
export function vethPlan(pid: number, inUse: readonly { address: number; prefix: number }[], mtu = ETHERNET_MTU): VethPlan {
  const hostIf = `abapi${pid}h`;
  if (hostIf.length > IFNAME_MAX) throw new Error(`interface name ${hostIf} is longer than ${IFNAME_MAX} characters`);
  for (let i = 0; i < SUBNET_COUNT; i++) {
    const net = (SUBNET_BASE + ((pid + i) % SUBNET_COUNT) * 4) >>> 0;
    if (inUse.some((u) => overlaps(net, 30, u.address, u.prefix))) continue;
    return { ns: `auscult-benchapi-${pid}`, hostIf, nsIf: `abapi${pid}n`, hostIp: ipv4(net + 1), nsIp: ipv4(net + 2), mtu };
  }
  throw new Error('every /30 of 10.233.0.0/16 overlaps a network of this machine');
}

/**
 * The `ip` commands (argv after `ip`) that make the namespace and the veth pair, addressed and up, and
 * prove a process can enter the namespace (`ip netns exec` remounts /sys, which some containers refuse).
 */
export function setupCommands(p: VethPlan): string[][] {
  const mtu = String(p.mtu);
  return [
    ['netns', 'add', p.ns],
    ['link', 'add', p.hostIf, 'mtu', mtu, 'type', 'veth', 'peer', 'name', p.nsIf, 'mtu', mtu, 'netns', p.ns],
    ['addr', 'add', `${p.hostIp}/30`, 'dev', p.hostIf],
    ['link', 'set', p.hostIf, 'up'],
    ['-n', p.ns, 'addr', 'add', `${p.nsIp}/30`, 'dev', p.nsIf],
    ['-n', p.ns, 'link', 'set', p.nsIf, 'up'],
    ['-n', p.ns, 'link', 'set', 'lo', 'up'],
    ['netns', 'exec', p.ns, 'true'],
  ];
}

/** The `ip` commands that remove them (deleting one end of a veth pair deletes both). */
export function teardownCommands(p: VethPlan): string[][] {
  return [['link', 'del', p.hostIf], ['netns', 'del', p.ns]];
}

/** What the environment asks for: the veth pair (`required`: or fail) or the loopback, and why. */
export type NetChoice = { use: 'veth'; required: boolean } | { use: 'loopback'; reason: string };

/** BENCH_API_NET (unset, `veth` or `loopback`), whether this runs as root and whether `ip` runs. */
export function netChoice(setting: string | undefined, isRoot: boolean, ipMissing: string | undefined): NetChoice {
  if (setting === 'loopback') return { use: 'loopback', reason: 'BENCH_API_NET=loopback' };
  if (setting !== undefined && setting !== '' && setting !== 'veth') {
    throw new Error(`BENCH_API_NET=${setting}: give veth (the default when possible) or loopback`);
  }
  const required = setting === 'veth';
  const reason = !isRoot ? 'not root (network namespaces need CAP_SYS_ADMIN)' : ipMissing;
  if (reason === undefined) return { use: 'veth', required };
  if (required) throw new Error(`BENCH_API_NET=veth: ${reason}`);
  return { use: 'loopback', reason };
}

function ip(args: readonly string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`ip ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

/** Why `ip` cannot run, naming its Debian package; undefined when it runs. */
export function ipMissing(): string | undefined {
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0 ? undefined : '`ip` not found on PATH (Debian: apt-get install iproute2)';
}

/** The loopback's MTU (what the bench runs over without a veth pair). */
export function loopbackMtu(): number {
  try {
    return Number(readFileSync('/sys/class/net/lo/mtu', 'utf8').trim());
  } catch {
    return NaN;
  }
}

/** The loopback, as before: servers on 127.0.0.1, nothing to make or remove. `why`: the veth pair's absence. */
export function loopbackNet(why: string): BenchNet {
  const mtu = loopbackMtu();
  return {
    kind: 'loopback', host: '127.0.0.1', mtu,
    note: `loopback, MTU ${mtu} (no veth pair: ${why})`,
    wrap: (command, args) => [command, [...args]],
    serveArgs: () => ['--host', '127.0.0.1'],
    close: () => undefined,
  };
}

/** The namespace and veth pair of `plan`, made now; on failure what was made is removed and the error thrown. */
export function vethNet(plan: VethPlan): BenchNet {
  let open = true;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const onSignal = (signal: NodeJS.Signals): void => {
    net.close();
    // The handler is gone (once): the signal now does what it would have done.
    process.kill(process.pid, signal);
  };
  const onExit = (): void => net.close();
  const net: BenchNet = {
    kind: 'veth', host: plan.nsIp, mtu: plan.mtu,
    note: `veth pair, MTU ${plan.mtu}: servers in network namespace ${plan.ns} at ${plan.nsIp}, clients in the root namespace at ${plan.hostIp}`,
    wrap: (command, args) => ['ip', ['netns', 'exec', plan.ns, command, ...args]],
    serveArgs: () => ['--host', plan.nsIp, '--allow-plain-http'],
    close() {
      if (!open) return;
      open = false;
      for (const s of signals) process.removeListener(s, onSignal);
      process.removeListener('exit', onExit);
      // A server still running in the namespace (an interrupted bench) would keep it alive unnamed.
      for (const pid of spawnSync('ip', ['netns', 'pids', plan.ns], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? []) {
        try {
          process.kill(Number(pid), 'SIGTERM');
        } catch {
          // exited meanwhile
        }
      }
      for (const args of teardownCommands(plan)) spawnSync('ip', args, { stdio: 'ignore' });
    },
  };
  for (const s of signals) process.once(s, onSignal);
  process.once('exit', onExit);
  try {
    for (const args of setupCommands(plan)) ip(args);
  } catch (err) {
    net.close();
    throw err;
  }
  return net;
}

/**
 * The network BENCH_API_NET (`env`) asks for: a veth pair with an Ethernet MTU when this runs as root
 * with `ip`, else the loopback with the reason in its note. BENCH_API_NET=veth makes a failure an error.
 */
export function openBenchNet(env: NodeJS.ProcessEnv = process.env): BenchNet {
  const choice = netChoice(env.BENCH_API_NET, process.getuid?.() === 0, ipMissing());
  if (choice.use === 'loopback') return loopbackNet(choice.reason);
  try {
    return vethNet(vethPlan(process.pid, ipv4Networks(ip(['-o', '-4', 'addr', 'show']))));
  } catch (err) {
    if (choice.required) throw err;
    return loopbackNet(`the namespace could not be made: ${(err as Error).message}`);
  }
}
