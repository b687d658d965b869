/**
 * Test support: the external programs tests run. A test whose program is absent skips and prints why,
 * naming the Debian package; README.md's Debian line and .ci/run install every package listed here
 * (tools.test.ts checks both).
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

/** Every program a test runs, with the Debian package that provides it. */
export const TEST_TOOLS = {
  ip: 'iproute2',
  sysctl: 'procps',
  ping: 'iputils-ping',
  setpriv: 'util-linux',
  unshare: 'util-linux',
  mkfifo: 'coreutils',
  ethtool: 'ethtool',
  'systemd-analyze': 'systemd',
  rsyslogd: 'rsyslog',
  openssl: 'openssl',
  chromium: 'chromium',
  promtool: 'prometheus',
  wrk: 'wrk',
} as const;
export type TestTool = keyof typeof TEST_TOOLS;

/** The Debian package that builds the `pcap` binding the live-capture tests load. */
export const PCAP_PACKAGE = 'libpcap-dev';

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Why a test cannot run for want of programs (`ping` not found, and its package); undefined when all are on PATH. */
export function toolMissing(...cmds: TestTool[]): string | undefined {
  const missing = cmds.filter((c) => !onPath(c));
  if (missing.length === 0) return undefined;
  const packages = [...new Set(missing.map((c) => TEST_TOOLS[c]))];
  return `${missing.map((c) => `\`${c}\``).join(', ')} not found on PATH (Debian: apt-get install ${packages.join(' ')})`;
}

/** Why live capture cannot be tested: the `pcap` native binding did not build or load; undefined when it loads. */
export function pcapBindingMissing(): string | undefined {
  try {
    createRequire(import.meta.url)('pcap/build/Release/pcap_binding.node');
    return undefined;
  } catch (err) {
    return `the pcap binding did not load (${(err as Error).message.split('\n')[0]}; Debian: apt-get install ${PCAP_PACKAGE}, then npm ci)`;
  }
}

/** rsyslog's loadable modules the forwarding tests use, with the Debian package that ships each. */
export const RSYSLOG_MODULES = { imtcp: 'rsyslog', imrelp: 'rsyslog-relp', lmnsd_gtls: 'rsyslog-gnutls' } as const;
const RSYSLOG_MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog', '/usr/lib64/rsyslog'];

/** Why rsyslog cannot receive for a test: a module missing (and its package); undefined when all are there. */
export function rsyslogModuleMissing(...modules: (keyof typeof RSYSLOG_MODULES)[]): string | undefined {
  const missing = modules.filter((m) => !RSYSLOG_MODULE_DIRS.some((d) => {
    try {
      accessSync(join(d, `${m}.so`), constants.R_OK);
      return true;
    } catch {
      return false;
    }
  }));
  if (missing.length === 0) return undefined;
  return `rsyslog module ${missing.join(', ')} not found (Debian: apt-get install ${[...new Set(missing.map((m) => RSYSLOG_MODULES[m]))].join(' ')})`;
}

/** The first of `reasons` that is set, printed as `<what> skipped: <reason>` so that no skip is silent. */
export function skipReason(what: string, ...reasons: (string | undefined)[]): string | undefined {
  const reason = reasons.find((r) => r !== undefined);
  if (reason !== undefined) console.warn(`${what} skipped: ${reason}`);
  return reason;
}
