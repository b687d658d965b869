/**
 * Logging through pino: JSON lines on stderr (stdout stays clean for `--format json`), made readable
 * with pino-pretty when stderr is a terminal. There every string of a record is escaped first
 * (agent/output/escape.ts): a file name or a value from the wire must not drive the terminal. JSON
 * lines escape control characters themselves. Under systemd, each line starts with its syslog
 * priority (`<3>` for an error, see sd-daemon(3)): journald strips the prefix and files the line at
 * that priority, so `journalctl -p err` and the syslog forwarders see errors as errors.
 */
import { fstatSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pino, type Level, type Logger, type StreamEntry } from 'pino';
import { forTerminal } from './output/escape.js';

export type { Logger };

let defaultLevel = 'info';

/** The level when neither the caller nor $AUSCULT_LOG_LEVEL says (the config file's `log.level`). */
export function setDefaultLogLevel(level: string): void {
  defaultLevel = level;
}

/** The strings of a log record escaped for a terminal; errors are left to pino's serialiser. */
export function escapeRecord(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return forTerminal(value);
  if (value === null || typeof value !== 'object' || value instanceof Error || depth > 5) return value;
  if (Array.isArray(value)) return value.map((v) => escapeRecord(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[forTerminal(k)] = escapeRecord(v, depth + 1);
  return out;
}

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? (process.env.AUSCULT_LOG_LEVEL || defaultLevel);
  const usePretty = opts.pretty ?? process.stderr.isTTY === true;
  if (usePretty) {
    // Loaded only for a terminal: services and pipes log plain JSON and skip its start-up cost.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pino(
      {
        level, base: undefined,
        formatters: { log: (record) => escapeRecord(record) as Record<string, unknown> },
        hooks: {
          logMethod(args, method) {
            method.apply(this, args.map((a) => (typeof a === 'string' ? forTerminal(a) : a)) as Parameters<typeof method>);
          },
        },
      },
      pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' }),
    );
  }
  if (stderrIsJournal()) return pino({ level, base: undefined }, pino.multistream(journalStreams(), { dedupe: true }));
  return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: true }));
}

/**
 * systemd sets JOURNAL_STREAM to the device and inode of the journal socket it connected stderr to;
 * checking them (rather than the variable alone) ignores a value inherited by a child whose stderr
 * was redirected elsewhere.
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(2, { bigint: true });
    return st.dev === BigInt(m[1]) && st.ino === BigInt(m[2]);
  } catch {
    return false;
  }
}

/** pino level → syslog priority (RFC 5424 severities: 2 crit, 3 err, 4 warning, 6 info, 7 debug). */
export const SYSLOG_PRIORITY: Readonly<Record<Level, number>> = { fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

/** One stream per level; with `dedupe` pino writes each line to the most severe stream its level reaches. */
export function journalStreams(fd = 2): StreamEntry[] {
  return (Object.entries(SYSLOG_PRIORITY) as [Level, number][]).map(([level, priority]) => ({
    level,
    stream: { write: (line: string) => writeAll(fd, `<${priority}>${line}`) },
  }));
}

/** Text for stderr outside pino (the CLI's one-line errors): each line at priority err under systemd. */
export function errorLines(text: string): string {
  const prefix = stderrIsJournal() ? `<${SYSLOG_PRIORITY.error}>` : '';
  return text.split('\n').map((l) => prefix + l + '\n').join('');
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
}
