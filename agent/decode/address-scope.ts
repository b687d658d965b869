/**
 * The scope of an address in text form, for the router rules (inventory/inventory.ts): a link-local address is
 * never forwarded by a router, so it always belongs to the MAC that sourced it; a private address
 * bound to a MAC beside public addresses it merely sources marks a gateway to the Internet.
 */

/** link-local: 169.254/16, fe80::/10. private: RFC 1918, RFC 6598 shared (100.64/10), fc00::/7.
 * public: global unicast. other: loopback, unspecified, multicast, reserved. */
export type AddressScope = 'link-local' | 'private' | 'public' | 'other';

export function addressScope(ip: string): AddressScope {
  if (ip.includes(':')) {
    const first = parseInt(ip.split(':', 1)[0] || '0', 16);
    if ((first & 0xffc0) === 0xfe80) return 'link-local';
    if ((first & 0xfe00) === 0xfc00) return 'private';
    // 2000::/3, the documentation prefix 2001:db8::/32 included (it stands for Internet hosts in test networks).
    if ((first & 0xe000) === 0x2000) return 'public';
    return 'other';
  }
  const [a, b] = ip.split('.').map(Number);
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  if (a === 0 || a === 127 || a >= 224) return 'other';
  // The documentation ranges (RFC 5737) count as public: they stand for Internet hosts in test networks.
  return 'public';
}
