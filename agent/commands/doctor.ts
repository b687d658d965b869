/**
 * `auscult doctor [--interface IF]`: what an admin gets wrong when putting a sensor on a span port,
 * one line per check with the fix. Read-only: it opens the interface for receiving (not promiscuous)
 * and the database read-only, and changes nothing.
 */
import { interfaceState, interfaceTxPackets } from '../capture/interface-state.js';
import { apiExposureCheck, apiTlsCheck, apiTokensCheck } from '../doctor/api-checks.js';
import {
  addressCheck, capabilitiesCheck, capturePermissionCheck, interfaceUpCheck, ipv6Check, promiscuousCheck, vlanOffloadCheck,
} from '../doctor/interface-checks.js';
import {
  captureBufferCheck, databaseWritableCheck, diskSpaceCheck, lastCapture, openForChecks, transmitCheck,
} from '../doctor/store-checks.js';
import { skip, type CheckResult } from '../doctor/types.js';
import type { ApiTokenRow } from '../store/api-tokens.js';

export interface DoctorOptions {
  /** The SPAN/TAP port; without one the interface checks are skipped. */
  interface?: string;
  db: string;
  /** Where the API listens (api.host, --host). */
  host: string;
  port: number;
  bufferSizeMiB: number;
  promiscuous: boolean;
  tlsCert?: string;
  tlsKey?: string;
  allowPlainHttp?: boolean;
}

/** The tokens, or undefined without a database or one older than the tokens table. */
function tokensOf(reader: { apiTokens(): ApiTokenRow[] } | undefined): ApiTokenRow[] | undefined {
  try {
    return reader?.apiTokens();
  } catch {
    return undefined;
  }
}

export function runDoctor(o: DoctorOptions): CheckResult[] {
  const results: CheckResult[] = [capabilitiesCheck()];
  const opened = openForChecks(o.db);
  try {
    if (o.interface === undefined) {
      results.push(skip('interface', 'none given (capture.interface or --interface): the interface checks are skipped'));
    } else {
      const iface = o.interface;
      const st = interfaceState(iface);
      results.push(interfaceUpCheck(iface, st));
      if (st !== undefined) {
        results.push(capturePermissionCheck(iface), promiscuousCheck(iface, st, o.promiscuous), addressCheck(iface), ipv6Check(iface, st), vlanOffloadCheck(iface));
      }
      const run = lastCapture(opened.reader, iface);
      results.push(transmitCheck(iface, run, interfaceTxPackets(iface)), captureBufferCheck(run, o.bufferSizeMiB));
    }
    results.push(apiExposureCheck(o.host, o.port, o.interface), apiTlsCheck(o.host, o.tlsCert, o.tlsKey, o.allowPlainHttp === true), apiTokensCheck(tokensOf(opened.reader)));
    results.push(databaseWritableCheck(o.db), diskSpaceCheck(o.db), opened.result);
  } finally {
    opened.reader?.close();
  }
  return results;
}

const LABEL = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: '--' } as const;

export function formatCheck(r: CheckResult): string {
  return `${LABEL[r.status].padEnd(4)}  ${r.check.padEnd(18)}  ${r.found}${r.fix ? `. Fix: ${r.fix}` : ''}`;
}

/** Prints the checks and a summary; the exit code is 1 when a check failed. */
export function doctor(o: DoctorOptions, out: (line: string) => void): number {
  const results = runDoctor(o);
  for (const r of results) out(formatCheck(r));
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  out(`${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failures, ${count('skip')} skipped`);
  return count('fail') > 0 ? 1 : 0;
}
