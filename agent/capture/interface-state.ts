/**
 * What Linux says about a network interface, read from sysfs and procfs (no tool, no socket): used to
 * record the monitored interface's transmit counter around a capture, which proves passivity, and by
 * `auscult doctor`.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** IFF_* bits of /sys/class/net/IF/flags (linux/if.h). */
export const IFF_UP = 0x1;
export const IFF_PROMISC = 0x100;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const text = read(path);
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Packets the interface has transmitted since it was created; undefined for "any" or an unknown one. */
export function interfaceTxPackets(name: string): number | undefined {
  if (!isPlainName(name)) return undefined;
  return readNumber(`/sys/class/net/${name}/statistics/tx_packets`);
}

export interface InterfaceState {
  name: string;
  /** IFF_* flags. */
  flags: number;
  /** RFC 2863 state: up, down, dormant, lowerlayerdown, unknown... */
  operstate: string;
  /** Link detected (undefined when the interface is down: the kernel does not say). */
  carrier: boolean | undefined;
  txPackets: number | undefined;
  /** net.ipv6.conf.IF.disable_ipv6 (undefined: no IPv6 on this kernel or interface). */
  ipv6Disabled: boolean | undefined;
}

/** The interface's state, or undefined when there is no such interface. */
export function interfaceState(name: string): InterfaceState | undefined {
  if (!isPlainName(name)) return undefined;
  const dir = `/sys/class/net/${name}`;
  const flags = readNumber(`${dir}/flags`);
  if (flags === undefined) return undefined;
  const carrier = readNumber(`${dir}/carrier`);
  const disableIpv6 = readNumber(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`);
  return {
    name,
    flags,
    operstate: read(`${dir}/operstate`) ?? 'unknown',
    carrier: carrier === undefined ? undefined : carrier === 1,
    txPackets: readNumber(`${dir}/statistics/tx_packets`),
    ipv6Disabled: disableIpv6 === undefined ? undefined : disableIpv6 === 1,
  };
}

/** Interfaces of this network namespace. */
export function interfaceNames(): string[] {
  try {
    return readdirSync('/sys/class/net').sort();
  } catch {
    return [];
  }
}

/** A name that cannot climb out of /sys/class/net. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/');
}
