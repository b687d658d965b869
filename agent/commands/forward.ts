/**
 * `auscult forward`, and forwarding beside `capture` and `run`: every event to syslog (UDP, TCP, TLS,
 * RELP) and/or Splunk HEC through the outbox (agent/forward/forwarder.ts), optionally a full
 * inventory snapshot every N hours. `--once` delivers what is pending and exits (non-zero when a
 * receiver stays unreachable), `--follow` keeps going until stopped, `--status` prints each
 * destination's position and lag.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { EventSource } from '../export/event-source.js';
import { hecDestination, SYSLOG_FORMATS, syslogDestination, type Destination, type SyslogFormat } from '../forward/destination.js';
import { forward, forwardStatus, ReceiverUnreachable } from '../forward/forwarder.js';
import { ForwardPositions } from '../store/forward-positions.js';
import { StoreReader } from '../store/reader.js';
import { UserFacingError } from '../errors.js';
import type { Logger } from '../log.js';
import { forTerminal } from '../output/escape.js';
import { thousands } from '../config.js';

export interface ForwardFlags {
  syslog?: string;
  syslogFormat: SyslogFormat;
  syslogCa?: string;
  splunkHec?: string;
  splunkToken?: string;
  /** A file holding the token (the configuration file's `forward.splunk_token_file`). */
  splunkTokenFile?: string;
  splunkAck?: boolean;
  resendWindow: number;
  snapshotEvery?: number;
  /** forward --once: connection attempts before a receiver counts as unreachable. */
  retries: number;
}

const positiveInt = (name: string, max: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UserFacingError(`${name} must be an integer from 0 to ${max}`);
  return n;
};

/** The forwarding flags, shared by `forward`, `capture` and `run`. */
export function addForwardOptions(cmd: Command): Command {
  return cmd
    .option('--syslog <url>', 'forward events to syslog: udp|tcp|tls|relp://HOST:PORT')
    .addOption(new Option('--syslog-format <format>', 'record in each syslog message').choices(SYSLOG_FORMATS).default('cef'))
    .option('--syslog-ca <file>', 'tls://: PEM CA the receiver\'s certificate must chain to')
    .option('--splunk-hec <url>', 'forward events to a Splunk HTTP Event Collector (https://splunk:8088)')
    .addOption(new Option('--splunk-token <token>', 'HEC token (better: $AUSCULT_SPLUNK_TOKEN, not visible in ps)').env('AUSCULT_SPLUNK_TOKEN'))
    .option('--splunk-token-file <file>', 'file holding the HEC token (--splunk-token and $AUSCULT_SPLUNK_TOKEN win)')
    .option('--splunk-ack', 'wait for HEC indexer acknowledgement before counting events delivered')
    .option('--resend-window <events>', 'tcp:// and tls://: events sent again after every reconnect', positiveInt('--resend-window', 1_000_000), 1000)
    .option('--retries <attempts>', 'forward --once: connection attempts before a receiver counts as unreachable', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UserFacingError('--retries must be an integer from 1 to 1000');
      return n;
    }, 5)
    .option('--snapshot-every <hours>', 'also send the full inventory every N hours', (v) => {
      const n = Number(v);
      if (!(n > 0 && n <= 8760)) throw new UserFacingError('--snapshot-every must be a number of hours from 0 to 8760');
      return n;
    });
}

/** The destinations the flags name (none: no forwarding). */
export function destinationsOf(f: ForwardFlags): Destination[] {
  const out: Destination[] = [];
  if (f.syslog !== undefined) out.push(syslogDestination({ url: f.syslog, format: f.syslogFormat, caFile: f.syslogCa }));
  else if (f.syslogCa !== undefined) throw new UserFacingError('--syslog-ca needs --syslog tls://HOST:PORT');
  if (f.splunkHec !== undefined) {
    const token = f.splunkToken !== undefined && f.splunkToken !== '' ? f.splunkToken : f.splunkTokenFile !== undefined ? tokenFromFile(f.splunkTokenFile) : '';
    out.push(hecDestination({ url: f.splunkHec, token, ack: f.splunkAck === true }));
  } else if (f.splunkToken !== undefined && f.splunkToken !== '' && process.env.AUSCULT_SPLUNK_TOKEN === undefined) {
    throw new UserFacingError('--splunk-token needs --splunk-hec URL');
  }
  return out;
}

/**
 * The HEC token from its file: the first line, without surrounding white space. Errors name the file,
 * never what is in it.
 */
function tokenFromFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserFacingError(`--splunk-token-file ${file}: ${code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable (check its permissions)' : code ?? 'unreadable'}`);
  }
  const token = text.split('\n', 1)[0].trim();
  if (token === '') throw new UserFacingError(`--splunk-token-file ${file}: empty (the token on its first line)`);
  return token;
}

export interface ForwardRun {
  db: string;
  flags: ForwardFlags;
  follow: boolean;
  log: Logger;
  signal: AbortSignal;
  /** Where events come from (default: the database's events table). */
  events?: (reader: StoreReader) => EventSource;
}

/** Runs every destination's outbox; resolves with the exit code (1 when a receiver stayed unreachable). */
export async function runForward(o: ForwardRun): Promise<number> {
  const destinations = destinationsOf(o.flags);
  if (destinations.length === 0) throw new UserFacingError('nothing to forward to: give --syslog URL and/or --splunk-hec URL');
  if (!existsSync(o.db)) throw new UserFacingError(`no database at ${o.db}: ingest a capture first (auscult read FILE --db ${o.db})`);
  const reader = StoreReader.open(o.db);
  const positions = ForwardPositions.open(o.db);
  const source = o.events?.(reader) ?? reader.eventSource();
  const snapshot = o.flags.snapshotEvery === undefined ? undefined : { everyMs: o.flags.snapshotEvery * 3_600_000, devices: () => reader.allDevices() };
  try {
    const results = await Promise.allSettled(destinations.map((destination) => forward({
      source, positions, destination, follow: o.follow, signal: o.signal, log: o.log, resendWindow: o.flags.resendWindow, snapshot, maxAttempts: o.flags.retries,
    })));
    let code = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') o.log.info({ destination: r.value.destination, sent: r.value.sent, delivered_seq: r.value.deliveredSeq }, 'forwarding done');
      else if (r.reason instanceof ReceiverUnreachable) {
        o.log.error({ err: r.reason.message }, 'forwarding: receiver unreachable');
        code = 1;
      } else throw r.reason;
    }
    return code;
  } finally {
    positions.close();
    reader.close();
  }
}

/** `forward --status`: one line per destination. */
export function forwardStatusLines(db: string, events?: (reader: StoreReader) => EventSource): string[] {
  const reader = StoreReader.open(db);
  const positions = ForwardPositions.open(db);
  try {
    const rows = forwardStatus(positions, events?.(reader) ?? reader.eventSource());
    if (rows.length === 0) return ['no destination has been forwarded to yet'];
    return rows.map((r) => forTerminal(
      `${r.destination}: delivered through seq ${r.deliveredSeq} of ${r.lastSeq}, lag ${thousands(r.lag)} events, ` +
      `dropped by retention before delivery ${thousands(r.dropped)}, last snapshot ${r.snapshotAt ?? 'never'}, updated ${r.updatedAt}`,
    ));
  } finally {
    positions.close();
    reader.close();
  }
}
