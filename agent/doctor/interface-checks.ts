/**
 * `auscult doctor`: the capture side. What the process may do (capabilities, opening the interface)
 * and what the monitored interface looks like: up, promiscuous, silent (no address, no IPv6), VLAN
 * tags not stripped away.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { IFF_PROMISC, IFF_UP, interfaceNames, type InterfaceState } from '../capture/interface-state.js';
import { openLiveCapture } from '../capture/live-source.js';
import { fail, ok, skip, warn, type CheckResult } from './types.js';

/** Capability numbers (linux/capability.h). */
const CAP_NET_ADMIN = 12n;
const CAP_NET_RAW = 13n;

const RAW_ONLY_FIX = 'grant CAP_NET_RAW alone: systemd AmbientCapabilities=CAP_NET_RAW and CapabilityBoundingSet=CAP_NET_RAW; containers --cap-drop ALL --cap-add NET_RAW';

/** The capabilities in /proc/self/status (hex masks), by set. */
export function ownCapabilities(statusText = readFileSync('/proc/self/status', 'utf8')): { effective: bigint; bounding: bigint } {
  const mask = (name: string) => BigInt('0x' + (new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'mi').exec(statusText)?.[1] ?? '0'));
  return { effective: mask('CapEff'), bounding: mask('CapBnd') };
}

const has = (mask: bigint, cap: bigint) => ((mask >> cap) & 1n) === 1n;

export function capabilitiesCheck(uid = process.getuid?.() ?? -1, caps = ownCapabilities()): CheckResult {
  const raw = has(caps.effective, CAP_NET_RAW);
  const admin = has(caps.effective, CAP_NET_ADMIN);
  if (!raw) {
    return fail('capabilities', `uid ${uid} without CAP_NET_RAW: the kernel refuses a capture socket`,
      'run auscult as its service does (docker/auscult.service, or the image, whose own Node holds CAP_NET_RAW), or as root');
  }
  if (uid === 0) return ok('capabilities', 'root: every capability (the service needs CAP_NET_RAW alone)');
  if (admin) return warn('capabilities', `uid ${uid} holds CAP_NET_ADMIN, which capture does not need`, RAW_ONLY_FIX);
  return ok('capabilities', `uid ${uid} with CAP_NET_RAW, and not CAP_NET_ADMIN`);
}

/** Opens the interface for receiving, as a capture would (not promiscuous: the check changes nothing), and closes it. */
export function capturePermissionCheck(iface: string): CheckResult {
  try {
    const capture = openLiveCapture({ interface: iface, promiscuous: false, snapLength: 128, bufferSizeBytes: 1 << 20 }, { frame() {} });
    capture.close();
    return ok('capture permission', `opened ${iface} for receiving`);
  } catch (err) {
    // Capture errors are "what happened; how to fix it".
    const [found, ...fix] = (err as Error).message.split('; ');
    return fail('capture permission', found, fix.join('; ') || 'see README: Deployment');
  }
}

/** Up, with a link. */
export function interfaceUpCheck(iface: string, st: InterfaceState | undefined): CheckResult {
  if (st === undefined) {
    return fail('interface', `no interface ${iface} here (${interfaceNames().join(', ') || 'none'})`, 'name the SPAN/TAP port in capture.interface or --interface');
  }
  if ((st.flags & IFF_UP) === 0) return fail('interface', `${iface} is down`, `ip link set ${iface} up (and in the host's network configuration)`);
  if (st.carrier === false) return warn('interface', `${iface} is up but has no link`, 'check the cable and that the switch\'s SPAN/monitor session targets this port');
  return ok('interface', `${iface} is up (operstate ${st.operstate})`);
}

export function promiscuousCheck(iface: string, st: InterfaceState | undefined, promiscuousWanted: boolean): CheckResult {
  const now = st !== undefined && (st.flags & IFF_PROMISC) !== 0 ? 'on' : 'off';
  if (!promiscuousWanted) {
    return warn('promiscuous', `off in the configuration (now ${now}): the NIC drops mirrored unicast between other hosts`,
      'set capture.promiscuous: true (the default) or drop --no-promiscuous');
  }
  return ok('promiscuous', `auscult turns it on while it captures, with CAP_NET_RAW alone (now ${now})`);
}

/** A monitored interface with an address answers ARP and neighbour solicitations for it: it transmits. */
export function addressCheck(iface: string): CheckResult {
  const addrs = (networkInterfaces()[iface] ?? []).map((a) => a.address);
  if (addrs.length === 0) return ok('no address', `${iface} has no IP address`);
  return warn('no address', `${iface} has ${addrs.join(', ')}: the kernel answers and sends on it`,
    `ip addr flush dev ${iface}, and keep DHCP and the network configuration off it`);
}

/** With IPv6 on, the kernel sends router solicitations, DAD and MLD reports on its own. */
export function ipv6Check(iface: string, st: InterfaceState | undefined): CheckResult {
  if (st === undefined || st.ipv6Disabled === undefined) return ok('IPv6 off', `no IPv6 on ${iface}`);
  if (st.ipv6Disabled) return ok('IPv6 off', `net.ipv6.conf.${iface}.disable_ipv6 = 1`);
  return warn('IPv6 off', `IPv6 is on for ${iface}: the kernel sends router solicitations and MLD reports on it`,
    `sysctl -w net.ipv6.conf.${iface}.disable_ipv6=1 (and the same line in /etc/sysctl.d/)`);
}

/** ethtool -k: offloads that strip or filter 802.1Q tags before libpcap sees them. */
export function vlanOffloadCheck(iface: string, ethtool = 'ethtool'): CheckResult {
  let text: string;
  try {
    text = execFileSync(ethtool, ['-k', iface], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return skip('VLAN offload', code === 'ENOENT' ? 'ethtool is not installed (apt-get install ethtool)' : `ethtool -k ${iface} failed`);
  }
  const feature = (name: string) => new RegExp(`^${name}: (on|off)( \\[fixed\\])?`, 'm').exec(text);
  const found: string[] = [];
  const fixes: string[] = [];
  const offload = feature('rx-vlan-offload');
  if (offload?.[1] === 'on') {
    found.push('rx-vlan-offload on (the NIC strips 802.1Q tags; libpcap restores them only where the driver reports them)');
    if (!offload[2]) fixes.push('rxvlan off');
  }
  const filter = feature('rx-vlan-filter');
  if (filter?.[1] === 'on') {
    found.push('rx-vlan-filter on (the NIC may drop VLANs this host has not joined)');
    if (!filter[2]) fixes.push('rx-vlan-filter off');
  }
  if (found.length === 0) return ok('VLAN offload', `${iface} passes 802.1Q tags as received`);
  return warn('VLAN offload', found.join('; '), fixes.length ? `ethtool -K ${iface} ${fixes.join(' ')}` : 'fixed by the driver: use another NIC for VLAN-tagged SPAN traffic');
}
