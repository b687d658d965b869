/**
 * Logging through pino: JSON lines on stderr (stdout stays clean for `--format json`), made readable
 * with pino-pretty when stderr is a terminal. There every string of a record is escaped first
 * (agent/output/escape.ts): a file name or a value from the wire must not drive the terminal. JSON
 * lines escape control characters themselves.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { forTerminal } from './output/escape.js';

export type { Logger };

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
  const level = opts.level ?? process.env.AUSCULT_LOG_LEVEL ?? 'info';
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
  return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: true }));
}
