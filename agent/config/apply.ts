/**
 * The configuration file as defaults for the command line: each key that stands for a flag fills that
 * flag's value before the command parses its arguments, so a flag given on the command line wins, then
 * the environment variable the command reads (AUSCULT_DB...), then the file, then the built-in default.
 * Commands know nothing of the file: they see their options as if typed.
 */
import type { Command } from 'commander';
import { setDefaultLogLevel } from '../log.js';
import type { Config } from './schema.js';

export interface FlagBinding {
  /** Dotted key in the file. */
  key: string;
  /** Commander's attribute name of the flag (`--buffer-size` → bufferSize). */
  option: string;
  /** An environment variable the command reads for this option; it wins over the file. */
  env?: string;
  /** Commands whose flag of that name means something else. */
  except?: readonly string[];
}

export const FLAG_BINDINGS: readonly FlagBinding[] = [
  // `demo` recreates its database: it must never take the real one from the file.
  { key: 'store.path', option: 'db', env: 'AUSCULT_DB', except: ['demo'] },
  { key: 'store.flush_every_packets', option: 'flushEvery' },
  { key: 'store.tombstone_retention_days', option: 'tombstoneRetentionDays' },
  { key: 'fingerprints', option: 'fingerprints', env: 'AUSCULT_FINGERPRINTS' },
  { key: 'capture.interface', option: 'interface' },
  { key: 'capture.filter', option: 'filter' },
  { key: 'capture.snaplen', option: 'snaplen' },
  { key: 'capture.buffer_size_mib', option: 'bufferSize' },
  { key: 'capture.promiscuous', option: 'promiscuous' },
  { key: 'flows.max', option: 'maxFlows' },
  { key: 'events.arp_conflict_window_seconds', option: 'arpConflictWindow' },
  { key: 'events.mac_flood_new_macs_per_minute', option: 'macFloodThreshold' },
  { key: 'events.silent_after_seconds', option: 'silentAfter' },
  { key: 'events.capture_drops_threshold', option: 'dropsThreshold' },
  { key: 'events.capture_drops_interval_seconds', option: 'dropsInterval' },
  { key: 'memory.pending_rows', option: 'maxPendingRows' },
  { key: 'memory.device_cache', option: 'deviceCache' },
  { key: 'memory.identify_batch', option: 'identifyBatch' },
  { key: 'memory.heap_growth_percent', option: 'heapGrowthPercent' },
  { key: 'events.retention_days', option: 'eventsRetentionDays' },
  { key: 'forward.syslog', option: 'syslog' },
  { key: 'forward.syslog_format', option: 'syslogFormat' },
  { key: 'forward.syslog_ca', option: 'syslogCa' },
  { key: 'forward.splunk_hec', option: 'splunkHec' },
  { key: 'forward.splunk_token_file', option: 'splunkTokenFile' },
  { key: 'forward.splunk_ack', option: 'splunkAck' },
  { key: 'forward.resend_window_events', option: 'resendWindow' },
  { key: 'forward.snapshot_every_hours', option: 'snapshotEvery' },
  { key: 'forward.retries', option: 'retries' },
  { key: 'findings.resolve_after_hours', option: 'resolveFindingsAfter' },
  { key: 'api.host', option: 'host' },
  { key: 'api.port', option: 'port' },
  { key: 'web.idle_timeout_minutes', option: 'webIdleTimeout' },
  { key: 'api.tls_cert', option: 'tlsCert' },
  { key: 'api.tls_key', option: 'tlsKey' },
  { key: 'api.allow_plain_http', option: 'allowPlainHttp' },
  { key: 'api.allowed_hosts', option: 'allowedHosts' },
  { key: 'api.rate_limit_per_minute', option: 'rateLimit' },
  { key: 'api.cors_origins', option: 'corsOrigins' },
  { key: 'api.idle_timeout_seconds', option: 'idleTimeout' },
  { key: 'api.header_timeout_seconds', option: 'headerTimeout' },
  { key: 'api.response_cache_mib', option: 'responseCacheMib' },
  { key: 'api.token_file', option: 'tokenFile', env: 'AUSCULT_TOKEN_FILE' },
  { key: 'api.token_name', option: 'tokenName' },
  { key: 'api.token_scopes', option: 'tokenScopes' },
];

/** Keys that set something other than a flag. */
export const OTHER_KEYS = ['log.level'] as const;

/**
 * Loads `file` (nothing to do without one) and fills the options of `command` and its subcommands.
 * Called by the program before it hands over to a subcommand; the loader (YAML, TypeBox) is loaded
 * only when there is a file.
 */
export async function applyConfigFile(file: string | undefined, command: Command): Promise<void> {
  if (file === undefined || file === '') return;
  const { loadConfigFile } = await import('./load.js');
  const { config } = loadConfigFile(file);
  if (config.log?.level !== undefined) setDefaultLogLevel(config.log.level);
  for (const cmd of [command, ...descendants(command)]) applyTo(cmd, config);
}

function applyTo(cmd: Command, config: Config): void {
  const flags = new Set(cmd.options.map((o) => o.attributeName()));
  for (const b of FLAG_BINDINGS) {
    const value = valueAt(config, b.key);
    if (value === undefined || !flags.has(b.option) || b.except?.includes(cmd.name())) continue;
    if (b.env !== undefined && process.env[b.env]) continue;
    const source = cmd.getOptionValueSource(b.option);
    if (source === 'cli' || source === 'env') continue;
    cmd.setOptionValueWithSource(b.option, value, 'config');
  }
}

function descendants(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...descendants(c)]);
}

function valueAt(config: Config, key: string): unknown {
  let v: unknown = config;
  for (const k of key.split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}
