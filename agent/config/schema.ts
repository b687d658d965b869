/**
 * The configuration file (`--config auscult.yaml`, `$AUSCULT_CONFIG`) as one TypeBox schema: it types
 * the loaded file, validates it (an unknown key or a wrong type is an error naming the key and its
 * line), and README's configuration table lists the same keys (a test keeps the two equal).
 *
 * One section per concern. To add an option: add it to its section here (a new section: a new
 * `Type.Object` in `ConfigFile`), bind it to its command-line flag in `apply.ts` when it has one, and
 * document it in README's configuration table. Every section is closed (`additionalProperties: false`)
 * so a typo is an error, never an option silently ignored.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { TOKEN_SCOPES } from '../store/api-tokens.js';

const closed = { additionalProperties: false } as const;

/** pino's levels, most to least severe, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// An enum rather than a union of literals: TypeBox's error iterator loses the file's other errors
// after a failed union.
const oneOf = <T extends string>(values: readonly T[], description: string) => Type.Enum([...values], { description });

/** The SQLite database: the contract between capture, API and readers. */
export const StoreSection = Type.Object(
  {
    path: Type.Optional(Type.String({ minLength: 1, description: 'database file (--db; default ./auscult.db in the working directory)' })),
    flush_every_packets: Type.Optional(
      Type.Integer({ minimum: 1000, maximum: 1_000_000_000, description: 'auscult read: write to the database after this many packets (--flush-every)' }),
    ),
    tombstone_retention_days: Type.Optional(
      Type.Integer({
        minimum: 1, maximum: 36500,
        description: 'days the change feed keeps tombstones of removed devices; a client further behind gets 410 resync (--tombstone-retention-days; default 30)',
      }),
    ),
  },
  closed,
);

export const LogSection = Type.Object(
  { level: Type.Optional(oneOf(LOG_LEVELS, 'least severe level logged ($AUSCULT_LOG_LEVEL wins; default info)')) },
  closed,
);

/** Live capture (`capture`, `run`): the SPAN/TAP port and how libpcap reads it. */
export const CaptureSection = Type.Object(
  {
    interface: Type.Optional(Type.String({ minLength: 1, description: 'interface to listen on, the SPAN/TAP port (--interface)' })),
    filter: Type.Optional(Type.String({ description: 'BPF capture filter, e.g. "not port 22" (--filter)' })),
    snaplen: Type.Optional(Type.Integer({ minimum: 64, maximum: 262144, description: 'bytes captured per packet (--snaplen; default 65535)' })),
    buffer_size_mib: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'kernel capture buffer in MiB (--buffer-size; default 32)' })),
    promiscuous: Type.Optional(Type.Boolean({ description: 'see frames addressed to other hosts, as a SPAN port needs (false: --no-promiscuous; default true)' })),
  },
  closed,
);

/** The flow table: its memory bound. */
export const FlowsSection = Type.Object(
  { max: Type.Optional(Type.Integer({ minimum: 1024, maximum: 50_000_000, description: 'flows held in memory at once, about 200 bytes each (--max-flows; default 131072)' })) },
  closed,
);

/** Event thresholds (README: Events): `read`, `capture`, `run`. */
export const EventsSection = Type.Object(
  {
    arp_conflict_window_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800, description: 'two MACs claiming one IPv4 address by ARP this close together are an arp.conflict (--arp-conflict-window; default 300)' })),
    mac_flood_new_macs_per_minute: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'more new MACs than this within a minute of capture time are a mac.flood (--mac-flood-threshold; default 3000)' })),
    silent_after_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000, description: 'live capture: a device with no packet for this long is device.silent (--silent-after; default 3600)' })),
    capture_drops_threshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e12, description: 'live capture: this many kernel drops within the interval are capture.drops (--drops-threshold; default 1000)' })),
    capture_drops_interval_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'live capture: the interval kernel drops are counted over (--drops-interval; default 60)' })),
    retention_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500, description: 'events stored longer ago are deleted; what a forwarding destination had not accepted is counted (--events-retention-days; default 90)' })),
  },
  closed,
);

/**
 * Forwarding events to a SIEM (`forward`, `capture`, `run`; README: Forwarding). The Splunk token is
 * never a key: the file names a file holding it (mode 0600), so the configuration can be shared and
 * the token stays out of it.
 */
export const ForwardSection = Type.Object(
  {
    syslog: Type.Optional(Type.String({ minLength: 1, description: 'syslog receiver: udp|tcp|tls|relp|relp+tls://HOST:PORT (--syslog)' })),
    syslog_format: Type.Optional(oneOf(['cef', 'leef', 'json'] as const, 'record in each syslog message (--syslog-format; default cef)')),
    syslog_ca: Type.Optional(Type.String({ minLength: 1, description: 'tls:// and relp+tls://: PEM CA the receiver\'s certificate must chain to (--syslog-ca)' })),
    splunk_hec: Type.Optional(Type.String({ minLength: 1, description: 'Splunk HTTP Event Collector URL, https://splunk:8088 (--splunk-hec)' })),
    splunk_token_file: Type.Optional(Type.String({ minLength: 1, description: 'file holding the HEC token (--splunk-token-file; --splunk-token and $AUSCULT_SPLUNK_TOKEN win)' })),
    splunk_ack: Type.Optional(Type.Boolean({ description: 'wait for HEC indexer acknowledgement (--splunk-ack; default false)' })),
    resend_window_events: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'tcp:// and tls://: events sent again after every reconnect (--resend-window; default 1000)' })),
    snapshot_every_hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 8760, description: 'also send the full inventory every this many hours (--snapshot-every; default never)' })),
    retries: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'forward --once: connection attempts before a receiver counts as unreachable (--retries; default 5)' })),
  },
  closed,
);

/** What ingesting holds in memory (`read`, `capture`, `run`), bounded whatever the network sends. */
export const MemorySection = Type.Object(
  {
    pending_rows: Type.Optional(
      Type.Integer({ minimum: 1000, maximum: 10_000_000, description: 'write to the database when this many endpoint, edge, service and address rows wait (--max-pending-rows; default 100000)' }),
    ),
    device_cache: Type.Optional(
      Type.Integer({ minimum: 1024, maximum: 50_000_000, description: 'MAC to device ids held in memory, 24 bytes each (--device-cache; default 262144)' }),
    ),
    identify_batch: Type.Optional(
      Type.Integer({ minimum: 16, maximum: 1_000_000, description: 'devices identified per batch, one batch\'s facts in memory (--identify-batch; default 4096)' }),
    ),
    heap_growth_percent: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000, description: 'how far V8\'s heap grows beyond what survived a collection before the next, 0: as V8 decides; a node --heap-growing-percent wins (--heap-growth-percent; default 20)' }),
    ),
  },
  closed,
);

/** Findings (README: Findings and risk): `read`, `capture`, `run`, `findings refresh`. */
export const FindingsSection = Type.Object(
  {
    resolve_after_hours: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 876_000, description: 'a finding with no evidence for this many hours of capture time is resolved, 0: never (--resolve-findings-after; default 168)' }),
    ),
  },
  closed,
);

/** The HTTP API (`serve`, `run`, `demo`). */
export const ApiSection = Type.Object(
  {
    host: Type.Optional(Type.String({ minLength: 1, description: 'address to listen on: loopback or a management address, never the monitored port (--host; default 127.0.0.1)' })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port (--port; default 8080)' })),
    tls_cert: Type.Optional(Type.String({ minLength: 1, description: 'PEM certificate chain: serve HTTPS (--tls-cert)' })),
    tls_key: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of tls_cert (--tls-key)' })),
    allow_plain_http: Type.Optional(Type.Boolean({ description: 'serve plain HTTP on a non-loopback address, warned about at each start (--allow-plain-http)' })),
    allowed_hosts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { description: 'more names the Host header may carry (--allowed-hosts)' })),
    rate_limit_per_minute: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'requests a minute per token, 0: no limit (--rate-limit; default 1200)' })),
    cors_origins: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'origins a browser may call the API from (--cors-origins; default none)' })),
    idle_timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'close a connection idle this long (--idle-timeout; default 60)' })),
    header_timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, description: 'a client must send its request headers within this (--header-timeout; default 10)' })),
    response_cache_mib: Type.Optional(Type.Integer({ minimum: 0, maximum: 4096, description: 'memory for whole device answers kept while the database is unchanged, 0: none (--response-cache-mib; default 64)' })),
    token_file: Type.Optional(Type.String({ minLength: 1, description: 'a file holding an API token (a secret), registered by its hash at each start (--token-file, $AUSCULT_TOKEN_FILE)' })),
    token_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the name of the token_file token (--token-name; default deployment)' })),
    token_scopes: Type.Optional(Type.Array(Type.Enum([...TOKEN_SCOPES]), { minItems: 1, description: 'scopes of the token_file token (--token-scopes; default [read])' })),
  },
  closed,
);

/** The web page served with the API. */
export const WebSection = Type.Object(
  {
    idle_timeout_minutes: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1440, description: 'the web page signs out after this long without keyboard or mouse activity, 0: never (--web-idle-timeout; default 15)' }),
    ),
  },
  closed,
);

export const ConfigFile = Type.Object(
  {
    store: Type.Optional(StoreSection),
    log: Type.Optional(LogSection),
    fingerprints: Type.Optional(Type.String({ minLength: 1, description: 'your own signatures and overrides.yaml (--fingerprints)' })),
    capture: Type.Optional(CaptureSection),
    flows: Type.Optional(FlowsSection),
    events: Type.Optional(EventsSection),
    memory: Type.Optional(MemorySection),
    forward: Type.Optional(ForwardSection),
    findings: Type.Optional(FindingsSection),
    api: Type.Optional(ApiSection),
    web: Type.Optional(WebSection),
  },
  { ...closed, title: 'auscult configuration file' },
);

export type Config = Static<typeof ConfigFile>;

/** Every leaf key as a dotted path with its schema (for messages, the README table check). */
export function configKeys(schema: TSchema = ConfigFile, prefix = ''): { key: string; schema: TSchema }[] {
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (props === undefined) return [{ key: prefix, schema }];
  return Object.entries(props).flatMap(([k, s]) => configKeys(s, prefix ? `${prefix}.${k}` : k));
}
