/**
 * Whether an address is on the public Internet: not private, shared (CGNAT), loopback, link-local,
 * multicast or otherwise reserved (IANA special-purpose registries, RFC 6890). The documentation
 * ranges (RFC 5737, RFC 3849) count as public: they never appear on a real network, and captures made
 * to show Internet traffic (ours included) use them for it.
 */
import { BlockList } from 'node:net';

const special = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3],
] as const) special.addSubnet(net, prefix, 'ipv4');
// IPv6: everything outside global unicast 2000::/3 is not public; inside it, the IETF protocol
// assignments (2001::/23, but not documentation's 2001:db8::/32) and 6to4 (2002::/16).
for (const [net, prefix] of [['2001::', 23], ['2002::', 16]] as const) special.addSubnet(net, prefix, 'ipv6');
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');

export function isPublicAddress(ip: string): boolean {
  if (ip.includes(':')) {
    try {
      return globalUnicast.check(ip, 'ipv6') && !special.check(ip, 'ipv6');
    } catch {
      return false;
    }
  }
  try {
    return !special.check(ip, 'ipv4');
  } catch {
    return false;
  }
}
