/**
 * Address bindings (types.ts AddressBinding) from addresses a device reports about itself: the
 * management addresses of LLDP (IEEE 802.1AB Management Address TLV) and CDP (Addresses TLV). Only
 * unicast IP addresses a host can hold bind: not 0.0.0.0, loopback or multicast, not 802 (MAC)
 * or other address families.
 */
import { addressScope } from '../decode/address-scope.js';
import { ipVersionOf } from '../decode/format.js';
import type { AddressBinding, BindingProtocol } from './types.js';

export function reportedAddressBindings(mac: string, addresses: readonly string[] | undefined, protocol: BindingProtocol, tsMs: number): AddressBinding[] {
  const out: AddressBinding[] = [];
  for (const ip of addresses ?? []) {
    if (ipVersionOf(ip) === 0 || addressScope(ip) === 'other') continue;
    out.push({ kind: 'address-binding', mac, ip, protocol, tsMs });
  }
  return out;
}
