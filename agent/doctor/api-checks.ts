/**
 * `auscult doctor`: where the API would listen. Loopback or a management address; never every
 * address, never the monitored interface.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fail, ok, warn, type CheckResult } from './types.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** The interface holding `address`, if any. */
function ownerOf(address: string): string | undefined {
  const wanted = address.replace(/^\[|\]$/g, '').toLowerCase();
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if ((addrs ?? []).some((a) => a.address.toLowerCase() === wanted)) return name;
  }
  return undefined;
}

export function apiExposureCheck(host: string, port: number, monitored: string | undefined): CheckResult {
  const at = `${host}:${port}`;
  if (isLoopback(host)) return ok('API address', `${at}: this machine only`);
  if (WILDCARDS.has(host)) {
    return warn('API address', `${at}: every address of this machine`, 'bind the API to the management address (api.host or --host)');
  }
  if (isIP(host.replace(/^\[|\]$/g, '')) === 0) return ok('API address', `${at} (a name: make sure it resolves to the management address)`);
  const owner = ownerOf(host);
  if (owner === undefined) return fail('API address', `${host} is not an address of this machine`, 'set api.host to the management interface\'s address');
  if (owner === monitored) {
    return fail('API address', `${host} belongs to the monitored interface ${owner}`, 'serve the API on the management interface, never on the SPAN/TAP port');
  }
  return ok('API address', `${at} on ${owner}`);
}
