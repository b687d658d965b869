/**
 * Test support: a veth pair whose peer end sits in a private network namespace, made and removed by
 * the test itself. The captured end (in the root namespace) has no address and IPv6 disabled, so the
 * kernel never transmits on it: its tx counter going up can only mean someone else sent a packet.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { toolMissing } from './tools.js';

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function quiet(cmd: string, args: string[]): void {
  try {
    sh(cmd, args);
  } catch {
    // already gone
  }
}

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root (packet sockets, network namespaces)';
  const missing = toolMissing('ip', 'sysctl');
  if (missing !== undefined) return missing;
  const probe = `auscult-probe${process.pid}`;
  try {
    sh('ip', ['netns', 'add', probe]);
    sh('ip', ['netns', 'del', probe]);
  } catch (err) {
    return `\`ip netns\` is unavailable (${(err as Error).message.split('\n')[0]})`;
  }
  return undefined;
}

export interface VethLab {
  /** Namespace holding the peer end. */
  ns: string;
  /** Interface to capture on, in the root namespace. */
  captureIf: string;
  /** Peer interface inside `ns`. */
  peerIf: string;
  peerIp: string;
  peerMac: string;
  /** Packets the captured end has transmitted (must not change while auscult listens). */
  txPackets(): number;
  /** Run a command inside the namespace in the background. */
  spawnInNs(cmd: string, args: string[]): ChildProcess;
  destroy(): void;
}

/** Names are short (IFNAMSIZ is 16) and unique per process and tag. */
export function createVethLab(tag: string, peerIp = '198.18.88.1', peerMac = '00:09:fb:88:00:01'): VethLab {
  const ns = `auscult-${tag}${process.pid}`;
  const captureIf = `a${tag}${process.pid}c`.slice(0, 15);
  const peerIf = `a${tag}${process.pid}p`.slice(0, 15);
  const lab: VethLab = {
    ns, captureIf, peerIf, peerIp, peerMac,
    txPackets: () => Number(readFileSync(`/sys/class/net/${captureIf}/statistics/tx_packets`, 'utf8')),
    spawnInNs: (cmd, args) => spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: 'ignore' }),
    destroy() {
      quiet('ip', ['link', 'del', captureIf]);
      quiet('ip', ['netns', 'del', ns]);
    },
  };
  lab.destroy();
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', captureIf, 'type', 'veth', 'peer', 'name', peerIf]);
  sh('sysctl', ['-qw', `net.ipv6.conf.${captureIf}.disable_ipv6=1`]);
  sh('ip', ['link', 'set', peerIf, 'netns', ns]);
  sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', peerIf, 'address', peerMac]);
  sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${peerIp}/24`, 'dev', peerIf]);
  sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', peerIf, 'up']);
  sh('ip', ['link', 'set', captureIf, 'up']);
  return lab;
}
