/**
 * `auscult doctor`: where the API would listen (loopback or a management address; never every
 * address, never the monitored interface), its TLS set-up, and whether any token can use it.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ApiTokenRow } from '../store/api-tokens.js';
import { fail, ok, skip, warn, type CheckResult } from './types.js';

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

const DAY_MS = 86_400_000;

/** HTTPS as `serve` would set it up: the files readable, the key the certificate's, not expired; or why plain HTTP is fine or refused. */
export function apiTlsCheck(host: string, tlsCert: string | undefined, tlsKey: string | undefined, allowPlainHttp: boolean, nowMs = Date.now()): CheckResult {
  if (tlsCert === undefined && tlsKey === undefined) {
    if (isLoopback(host)) return ok('API TLS', 'plain HTTP on loopback: only this machine can connect');
    if (allowPlainHttp) return warn('API TLS', `plain HTTP on ${host} (allow_plain_http): tokens and the inventory cross the network in clear`, 'give api.tls_cert and api.tls_key (--tls-cert, --tls-key), or keep a TLS proxy in front');
    return fail('API TLS', `serve would refuse plain HTTP on ${host}, which is not loopback`, 'give api.tls_cert and api.tls_key (--tls-cert, --tls-key)');
  }
  if (tlsCert === undefined || tlsKey === undefined) return fail('API TLS', 'only one of the certificate and the key is given', 'give both api.tls_cert and api.tls_key');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(tlsCert));
  } catch (err) {
    return fail('API TLS', `cannot read the certificate ${tlsCert}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'point api.tls_cert at a PEM certificate readable by auscult\'s user');
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(tlsKey)))) return fail('API TLS', `${tlsKey} is not the key of ${tlsCert}`, 'give the key the certificate was issued for');
  } catch (err) {
    return fail('API TLS', `cannot read the key ${tlsKey}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'point api.tls_key at an unencrypted PEM key readable by auscult\'s user');
  }
  const until = Date.parse(cert.validTo);
  const found = `HTTPS with ${cert.subject.replace(/\n/g, ', ')}, valid until ${new Date(until).toISOString().slice(0, 10)}`;
  if (until <= nowMs) return fail('API TLS', `${found}: expired`, 'renew the certificate');
  if (until - nowMs < 30 * DAY_MS) return warn('API TLS', `${found}: expires within 30 days`, 'renew the certificate');
  return ok('API TLS', found);
}

/** Whether any client can use the API: every route but /health needs a token. */
export function apiTokensCheck(tokens: readonly ApiTokenRow[] | undefined, nowMs = Date.now()): CheckResult {
  if (tokens === undefined) return skip('API tokens', 'no database yet');
  const valid = tokens.filter((t) => t.expiresAtMs === null || t.expiresAtMs > nowMs);
  const expired = tokens.length - valid.length;
  if (valid.length === 0) {
    return warn('API tokens', `no valid token${expired > 0 ? ` (${expired} expired)` : ''}: every API route but /health answers 401`, 'auscult token create --name NAME --scopes read');
  }
  return ok('API tokens', `${valid.length} valid (${valid.map((t) => t.name).join(', ')})${expired > 0 ? `, ${expired} expired` : ''}`);
}
