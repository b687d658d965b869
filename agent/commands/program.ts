/**
 * The `auscult` command line (entry point: `agent/cli.ts`). Each command is a thin wrapper around a
 * module in `agent/commands/`; user errors print one line with the fix and exit non-zero.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { captureLive, formatCaptureSummary } from './capture.js';
import { doctor } from './doctor.js';
import { printDevices, type DeviceFormat, type DeviceListFilter } from './devices.js';
import type { ExportKind } from './export.js';
import { addForwardOptions, destinationsOf, forwardStatusLines, runForward, type ForwardFlags } from './forward.js';
import { FORMAT_NAMES, type FormatName } from '../export/formats.js';
import { formatReadSummary, readFiles } from './read.js';
import { UserFacingError } from '../errors.js';
import { applyConfigFile } from '../config/apply.js';
import { DEFAULT_HOST, DEFAULT_PORT, dbPath, packageRoot } from '../config.js';
import { parseMac, macToString, ipVersionOf } from '../decode/format.js';
import { createLogger, errorLines, type Logger } from '../log.js';
import { boundHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT, MAX_HEAP_GROWTH_PERCENT } from '../heap.js';
import { forTerminal, hasControls, jsonForTerminal, linesForTerminal } from '../output/escape.js';
import { OutputClosed, printLines, writeAll } from '../output/write.js';
import { addAdvisoryCommands } from './advisories-cli.js';
import type { EventThresholds } from '../events/thresholds.js';
import { EVENT_TYPES, SEVERITIES, type EventType, type Severity } from '../export/event.js';
import { printEvents, type EventFormat } from './events.js';
import { addTokenCommands } from './tokens-cli.js';
import { addApiOptions, apiServerOptions, type ApiFlags } from './api-options.js';
import { addFindingCommands, resolveFindingsOption } from './findings-cli.js';
import { explainDevice, fingerprintsCheck, knownCategories, loadFingerprints, reclassify, userFingerprintsDir } from './identify.js';

const VERSION = '0.1.0';

/** The bundled captures `demo` (npm start) ingests: a LAN seen from several angles, the evidence and the clinical captures (see test-fixtures/README.md). */
const DEMO_CAPTURES = [
  'lan-dhcp.pcap', 'lan-http.pcap', 'routed.pcap', 'vlan.pcap', 'ipv6.pcap',
  'evidence-mdns.pcap', 'evidence-llmnr.pcap', 'evidence-lldp.pcap', 'evidence-snmp.pcap', 'evidence-tls.pcap',
  'evidence-ssh.pcap', 'evidence-netbios.pcap', 'evidence-http.pcap',
  'smb-samba.pcap', 'ssdp-miniupnpd.pcap', 'dhcpv6-dnsmasq.pcap',
  'dicom-store.pcap', 'dicom-orthanc.pcap', 'dicom-pixelmed.pcap', 'dicom-reject.pcap', 'dicom-tls.pcap', 'hl7-adt.pcap', 'hl7-pcd01.pcap',
  'poct1a-hello.pcap', 'wsd-sdc.pcap', 'wsd-wsdd.pcap', 'intellivue-connect.pcap', 'bacnet-ip.pcap',
];

function int(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** An AbortSignal raised by the first SIGINT or SIGTERM. */
function stopSignal(log: Logger): AbortSignal {
  const ac = new AbortController();
  const onSignal = (sig: string) => {
    if (ac.signal.aborted) return;
    log.info({ signal: sig }, 'stopping');
    ac.abort();
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  return ac.signal;
}

const workerOption = () => new Option('--worker', 'run the dissectors on a worker thread (experimental: see BENCHMARKS.md)');
const fingerprintsOption = () =>
  new Option('--fingerprints <dir>', 'your own signatures and overrides.yaml, loaded after the built-in library (default: $AUSCULT_FINGERPRINTS)');
const dbOption = () => new Option('--db <path>', 'SQLite database (default: $AUSCULT_DB or ./auscult.db)');
const tombstoneOption = () =>
  new Option('--tombstone-retention-days <days>', 'days the change feed keeps tombstones of removed devices (default 30)')
    .argParser(int('--tombstone-retention-days', 1, 36500));
/** The event thresholds (README: Events), on `read`, `capture` and `run`. */
const eventOptions = (cmd: Command) =>
  cmd
    .option('--arp-conflict-window <seconds>', 'two MACs claiming one IP this close together are an arp.conflict (default 300)', int('--arp-conflict-window', 1, 604_800))
    .option('--mac-flood-threshold <macs>', 'more new MACs than this in a minute are a mac.flood (default 3000)', int('--mac-flood-threshold', 1, 10_000_000))
    .option('--silent-after <seconds>', 'live: a device with no packet for this long is device.silent (default 3600)', int('--silent-after', 1, 31_536_000))
    .option('--drops-threshold <packets>', 'live: this many kernel drops within the drops interval are capture.drops (default 1000)', int('--drops-threshold', 1, 1e12))
    .option('--drops-interval <seconds>', 'live: the interval kernel drops are counted over (default 60)', int('--drops-interval', 1, 86_400))
    .option('--events-retention-days <days>', 'delete events stored longer ago; what a forwarding destination had not accepted is counted (default 90)', int('--events-retention-days', 1, 36500))
    .addOption(resolveFindingsOption());

interface EventFlags {
  arpConflictWindow?: number;
  macFloodThreshold?: number;
  silentAfter?: number;
  dropsThreshold?: number;
  dropsInterval?: number;
  eventsRetentionDays?: number;
  resolveFindingsAfter?: number;
}

function eventThresholds(o: EventFlags): Partial<EventThresholds> {
  return {
    arpConflictWindowSeconds: o.arpConflictWindow, macFloodNewMacsPerMinute: o.macFloodThreshold, silentAfterSeconds: o.silentAfter,
    captureDropsThreshold: o.dropsThreshold, captureDropsIntervalSeconds: o.dropsInterval,
  };
}

/** The memory bounds of ingesting (README: Memory), whatever the network sends. */
const memoryOptions = (cmd: Command) =>
  cmd
    .option('--max-pending-rows <n>', 'write to the database when this many device rows wait (default 100000)', int('--max-pending-rows', 1000, 10_000_000))
    .option('--device-cache <n>', 'MAC to device ids held in memory (default 262144)', int('--device-cache', 1024, 50_000_000))
    .option('--identify-batch <n>', 'devices identified per batch (default 4096)', int('--identify-batch', 16, 1_000_000))
    .option('--heap-growth-percent <n>', `how far V8's heap grows beyond what survived a collection, 0: as V8 decides (default ${DEFAULT_HEAP_GROWTH_PERCENT})`, int('--heap-growth-percent', 0, MAX_HEAP_GROWTH_PERCENT));

interface MemoryFlags {
  maxPendingRows?: number;
  deviceCache?: number;
  identifyBatch?: number;
  heapGrowthPercent?: number;
}

function memoryLimits(o: MemoryFlags) {
  return { maxPendingRows: o.maxPendingRows, deviceCache: o.deviceCache, identifyBatch: o.identifyBatch };
}

const captureOptions = (cmd: Command) =>
  memoryOptions(eventOptions(cmd))
    .requiredOption('-i, --interface <name>', 'interface to listen on (a SPAN/TAP port)')
    .option('-f, --filter <bpf>', 'BPF capture filter, e.g. "not port 22"')
    .option('--snaplen <bytes>', 'bytes captured per packet', int('--snaplen', 64, 262144), 65535)
    .option('--buffer-size <MiB>', 'kernel capture buffer', int('--buffer-size', 1, 4096), 32)
    .option('--no-promiscuous', 'do not put the interface in promiscuous mode')
    .option('--max-flows <n>', 'flows held in memory at once', int('--max-flows', 1024, 50_000_000))
    .addOption(workerOption())
    .addOption(fingerprintsOption())
    .addOption(tombstoneOption());

interface DeviceFilterFlags {
  mac?: string;
  ip?: string;
  vendor?: string;
  category?: string;
  medical?: boolean;
  fingerprints?: string;
}

/** The filters of `auscult devices` (and `export devices`). */
const addDeviceFilters = (cmd: Command) =>
  cmd
    .option('--mac <mac>', 'only this MAC')
    .option('--ip <ip>', 'only devices that used this IP')
    .option('--vendor <text>', 'only devices whose identified or MAC vendor contains this text')
    .option('--category <id>', 'only this category (see README: Categories)')
    .option('--medical', 'only medical devices')
    .option('--no-medical', 'only devices not identified as medical')
    .addOption(fingerprintsOption());

/** The filter flags checked and normalised; a bad value is a UserFacingError naming the flag. */
function deviceFilter(db: string, o: DeviceFilterFlags): DeviceListFilter {
  let mac: string | undefined;
  if (o.mac !== undefined) {
    const n = parseMac(o.mac);
    if (Number.isNaN(n)) throw new UserFacingError(`--mac ${o.mac} is not a MAC address (expected aa:bb:cc:dd:ee:ff)`);
    mac = macToString(n);
  }
  if (o.ip !== undefined && ipVersionOf(o.ip) === 0) throw new UserFacingError(`--ip ${o.ip} is not an IP address`);
  if (o.vendor !== undefined && hasControls(o.vendor)) throw new UserFacingError('--vendor contains a control character, which no vendor name has');
  if (o.category !== undefined) {
    const known = knownCategories(db, userFingerprintsDir(o.fingerprints));
    if (!known.includes(o.category)) throw new UserFacingError(`--category ${o.category} is not a category id (valid: ${known.join(', ')})`);
  }
  return { mac, ip: o.ip?.toLowerCase(), vendor: o.vendor, category: o.category, medical: o.medical };
}

interface CaptureFlags extends EventFlags, MemoryFlags {
  interface: string;
  filter?: string;
  snaplen: number;
  bufferSize: number;
  promiscuous: boolean;
  maxFlows?: number;
  worker?: boolean;
  fingerprints?: string;
  db?: string;
  tombstoneRetentionDays?: number;
}

function liveOptions(o: CaptureFlags, log: Logger, signal: AbortSignal) {
  return {
    interface: o.interface, filter: o.filter, snapLength: o.snaplen, bufferSizeBytes: o.bufferSize * 1024 * 1024,
    promiscuous: o.promiscuous, maxFlows: o.maxFlows, db: dbPath(o.db), log, signal, dissectInWorker: o.worker,
    library: loadFingerprints(userFingerprintsDir(o.fingerprints), log), events: eventThresholds(o), ...memoryLimits(o),
    tombstoneRetentionDays: o.tombstoneRetentionDays, eventsRetentionDays: o.eventsRetentionDays,
    resolveFindingsAfterHours: o.resolveFindingsAfter,
  };
}

/** Forwarding beside a capture (`--syslog`, `--splunk-hec` on capture and run): follows until the capture stops. */
async function forwardBeside(o: ForwardFlags, db: string, log: Logger, signal: AbortSignal): Promise<number> {
  if (destinationsOf(o).length === 0) return 0;
  return runForward({ db, flags: o, follow: true, log, signal });
}

/**
 * Serve until `signal`. `demoToken`: the demo's token, shown in the ready line's `curl`; otherwise the
 * line shows where a token comes from (a real one is never printed again after `token create`).
 */
async function serveUntilStopped(db: string, o: ApiFlags & { host: string; port: number }, log: Logger, signal: AbortSignal, demoToken?: string): Promise<void> {
  // Loaded on demand: `auscult read` should not pay for Fastify's start-up.
  const { startServer } = await import('../../api/server.js');
  const server = await startServer({ dbPath: db, host: o.host, port: o.port, logger: log, ...apiServerOptions(o) });
  log.info({ url: server.url }, 'API listening');
  const lines = [`auscult API at ${server.url}/api/v1/devices`];
  if (demoToken === undefined) {
    lines.push(`  try: curl -s${server.url.startsWith('https:') ? ' --cacert CERT' : ''} -H "Authorization: Bearer $AUSCULT_TOKEN" '${server.url}/api/v1/devices?limit=5'`,
      `  a token: AUSCULT_TOKEN=$(auscult token create --name NAME --scopes read --db ${db})`);
  } else {
    lines.push(`  try: curl -s -H 'Authorization: Bearer ${demoToken}' '${server.url}/api/v1/devices?limit=5'`);
  }
  lines.push(`  web page: ${server.url}/ (sign in with ${demoToken === undefined ? 'a token' : 'the token above'})`);
  await writeAll(process.stderr, linesForTerminal(lines.join('\n')) + '\n');
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  await server.close();
}

export function buildCli(): Command {
  const program = new Command('auscult')
    .description('Passive network discovery for hospital networks: listens, never transmits.')
    .version(VERSION)
    .addOption(new Option('-c, --config <file>', 'YAML configuration file (README: Configuration file); flags override it').env('AUSCULT_CONFIG'))
    .hook('preSubcommand', (cli, sub) => applyConfigFile(cli.opts<{ config?: string }>().config, sub))
    .showHelpAfterError()
    // Usage errors (a missing --interface, an unknown flag) throw instead of exiting: main() exits 2,
    // which a service does not restart; under systemd the message is filed at priority err.
    .configureOutput({ outputError: (text, write) => write(errorLines(text.trimEnd())) })
    .exitOverride();

  const read = eventOptions(program
    .command('read'))
    .description('ingest pcap/pcapng capture files (plain or gzip) into the database')
    .argument('<files...>', 'capture files; - for standard input')
    .addOption(dbOption())
    .option('--json', 'print the summary as JSON on stdout')
    .option('--force', 'read files already ingested again (their packets are counted twice)')
    .option('--no-progress', 'no progress bar')
    .option('--max-flows <n>', 'flows held in memory at once', int('--max-flows', 1024, 50_000_000))
    .option('--flush-every <packets>', 'write to the database after this many packets', int('--flush-every', 1000, 1e9))
    .addOption(workerOption())
    .addOption(fingerprintsOption())
    .addOption(tombstoneOption());
  memoryOptions(read)
    .action(async (files: string[], o: EventFlags & MemoryFlags & { db?: string; json?: boolean; force?: boolean; progress: boolean; maxFlows?: number; flushEvery?: number; worker?: boolean; fingerprints?: string; tombstoneRetentionDays?: number }) => {
      const heap = boundHeapGrowth(o.heapGrowthPercent);
      const log = createLogger();
      const summary = await readFiles(files, {
        db: dbPath(o.db), log, signal: stopSignal(log), progress: o.progress && process.stderr.isTTY, maxFlows: o.maxFlows,
        flushEveryFrames: o.flushEvery, dissectInWorker: o.worker === true, force: o.force === true,
        tombstoneRetentionDays: o.tombstoneRetentionDays, eventsRetentionDays: o.eventsRetentionDays,
        resolveFindingsAfterHours: o.resolveFindingsAfter,
        library: loadFingerprints(userFingerprintsDir(o.fingerprints), log), events: eventThresholds(o), ...memoryLimits(o),
      });
      await (o.json ? writeAll(process.stdout, jsonForTerminal({ ...summary, heap }, 2) + '\n') : printLines(formatReadSummary(summary)));
    });

  addForwardOptions(captureOptions(program.command('capture').description('capture live from an interface into the database (Ctrl-C to stop)')))
    .addOption(dbOption())
    .action(async (o: CaptureFlags & ForwardFlags) => {
      const log = createLogger();
      log.debug({ heap: boundHeapGrowth(o.heapGrowthPercent) }, 'heap growth');
      destinationsOf(o); // a bad forwarding flag stops us before the capture starts
      const signal = stopSignal(log);
      // captureLive creates and migrates the database synchronously, before the forwarder opens it.
      const capturing = captureLive(liveOptions(o, log, signal));
      const forwarding = forwardBeside(o, dbPath(o.db), log, signal);
      const [summary, code] = await Promise.all([capturing, forwarding]);
      if (code !== 0) process.exitCode = code;
      await printLines(formatCaptureSummary(summary));
    });

  program
    .command('serve')
    .description('serve the inventory over HTTP (read-only)')
    .addOption(dbOption())
    .option('--host <address>', 'address to listen on', DEFAULT_HOST)
    .option('--port <port>', 'TCP port', int('--port', 0, 65535), DEFAULT_PORT)
    .action(async (o: ApiFlags & { db?: string; host: string; port: number }) => {
      const log = createLogger();
      await serveUntilStopped(dbPath(o.db), o, log, stopSignal(log));
    });

  addForwardOptions(captureOptions(program.command('run').description('capture live and serve the API in one process')))
    .addOption(dbOption())
    .option('--host <address>', 'API address', DEFAULT_HOST)
    .option('--port <port>', 'API port', int('--port', 0, 65535), DEFAULT_PORT)
    .action(async (o: CaptureFlags & ApiFlags & ForwardFlags & { host: string; port: number }) => {
      const log = createLogger();
      log.debug({ heap: boundHeapGrowth(o.heapGrowthPercent) }, 'heap growth');
      destinationsOf(o); // a bad forwarding flag stops us before the capture starts
      const signal = stopSignal(log);
      const db = dbPath(o.db);
      // captureLive creates and migrates the database synchronously, before the API opens it read-only.
      const capturing = captureLive(liveOptions(o, log, signal));
      const serving = serveUntilStopped(db, o, log, signal);
      const forwarding = forwardBeside(o, db, log, signal);
      const [summary, , code] = await Promise.all([capturing, serving, forwarding]);
      if (code !== 0) process.exitCode = code;
      await printLines(formatCaptureSummary(summary));
    });

  addDeviceFilters(
    program
      .command('devices')
      .description('list the devices in the database')
      .addOption(dbOption())
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table')),
  )
    .action(async (o: DeviceFilterFlags & { db?: string; format: DeviceFormat }) => {
      const db = dbPath(o.db);
      await printDevices(db, deviceFilter(db, o), o.format);
    });

  addDeviceFilters(
    program
      .command('export')
      .description('stream every device (with the filters of `devices`) or every event in a SIEM format')
      .addArgument(new Argument('<what>', 'what to export').choices(['devices', 'events']))
      .addOption(new Option('--format <format>', 'record format (README: SIEM formats)').choices(FORMAT_NAMES).makeOptionMandatory())
      .option('--since <seq>', 'events: only those after this sequence number', int('--since', 0, Number.MAX_SAFE_INTEGER))
      .option('--output <file>', 'write to this file (replaced when complete) instead of standard output')
      .addOption(dbOption()),
  ).action(async (what: ExportKind, o: DeviceFilterFlags & { db?: string; format: FormatName; since?: number; output?: string }) => {
    const db = dbPath(o.db);
    if (what === 'devices' && o.since !== undefined) {
      throw new UserFacingError('--since applies to `export events`; devices changed since a sequence number come with the change feed (issue 15)');
    }
    if (what === 'events' && [o.mac, o.ip, o.vendor, o.category, o.medical].some((v) => v !== undefined)) {
      throw new UserFacingError('the device filters (--mac, --ip, --vendor, --category, --medical) apply to `export devices`');
    }
    const { exportRecords } = await import('./export.js');
    await exportRecords({
      db, kind: what, format: o.format, output: o.output, sinceSeq: o.since,
      filter: what === 'devices' ? deviceFilter(db, o) : undefined,
    });
  });

  addForwardOptions(
    program
      .command('forward')
      .description('forward events (and inventory snapshots) to syslog or Splunk HEC through the outbox')
      .addOption(dbOption())
      .addOption(new Option('--once', 'deliver everything not yet delivered, then exit (non-zero when a receiver stays unreachable)').conflicts(['follow', 'status']))
      .addOption(new Option('--follow', 'keep forwarding new events until stopped').conflicts('status'))
      .option('--status', 'print each destination\'s position and lag'),
  ).action(async (o: ForwardFlags & { db?: string; once?: boolean; follow?: boolean; status?: boolean }) => {
    const db = dbPath(o.db);
    if (o.status) return printLines(forwardStatusLines(db));
    if (!o.once && !o.follow) throw new UserFacingError('say --once, --follow or --status');
    const log = createLogger();
    process.exitCode = await runForward({ db, flags: o, follow: o.follow === true, log, signal: stopSignal(log) });
  });

  program
    .command('events')
    .description('list events (what changed on the network) in the order they were recorded, or the newest first')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--since <seq>', 'only events after this seq (the last one printed before)', int('--since', 0, Number.MAX_SAFE_INTEGER), 0)
    .option('--limit <n>', 'at most this many events', int('--limit', 1, 1_000_000), 1000)
    .addOption(new Option('--type <type>', 'only this event type').choices([...EVENT_TYPES]))
    .option('--device <id>', 'only events about this device id', int('--device', 1, Number.MAX_SAFE_INTEGER))
    .addOption(new Option('--min-severity <severity>', 'this severity and above').choices([...SEVERITIES]))
    .option('--newest', 'the newest events first (the latest --limit of them)')
    .option('--before <seq>', 'with --newest: only events before this seq (the last one printed before)', int('--before', 1, Number.MAX_SAFE_INTEGER))
    .action(async (o: { db?: string; format: EventFormat; since: number; limit: number; type?: EventType; device?: number; minSeverity?: Severity; newest?: boolean; before?: number }) => {
      if (o.before !== undefined && o.newest !== true) throw new UserFacingError('--before pages backwards: give it with --newest (oldest first, continue with --since)');
      const order = o.newest === true ? 'desc' : 'asc';
      await printEvents(dbPath(o.db), { afterSeq: o.since, beforeSeq: o.before, order, limit: o.limit, type: o.type, deviceId: o.device, minSeverity: o.minSeverity }, o.format);
    });

  program
    .command('demo')
    .description('ingest the bundled sample captures and CISA advisories into a fresh database and serve the API (what `npm start` runs)')
    .option('--db <path>', 'database to (re)create', './auscult-demo.db')
    .option('--host <address>', 'API address', DEFAULT_HOST)
    .option('--port <port>', 'API port', int('--port', 0, 65535), DEFAULT_PORT)
    .action(async (o: ApiFlags & { db: string; host: string; port: number }) => {
      const log = createLogger();
      boundHeapGrowth();
      const signal = stopSignal(log);
      const dir = join(packageRoot(), 'test-fixtures');
      const files = DEMO_CAPTURES.map((f) => join(dir, f));
      for (const suffix of ['', '-wal', '-shm']) rmSync(o.db + suffix, { force: true });
      // The bundled captures were recorded on different days (a collage, not one timeline): no finding
      // of the demo is resolved by age.
      const summary = await readFiles(files, {
        db: o.db, log, signal, progress: false, library: loadFingerprints(undefined, log), resolveFindingsAfterHours: 0,
      });
      await writeAll(process.stderr, formatReadSummary(summary).map((l) => l + '\n'));
      if (!signal.aborted) {
        const { demoAdvisories } = await import('./advisories.js');
        await writeAll(process.stderr, linesForTerminal(demoAdvisories(o.db)) + '\n');
        // The advisories came after the captures: match them now.
        const { findingData, refreshFindings } = await import('./findings.js');
        const r = refreshFindings(o.db, findingData(undefined), undefined, 0);
        await writeAll(process.stderr, `findings: ${r.findings} open on ${r.devices} devices (auscult findings, auscult risk)\n`);
      }
      if (signal.aborted) return;
      // The demo's database is recreated at each start, and its token with it.
      const { createToken } = await import('./tokens.js');
      const { token } = createToken(o.db, 'demo', ['read', 'export', 'metrics'], null);
      await serveUntilStopped(o.db, o, log, signal, token);
    });

  addAdvisoryCommands(program);
  addTokenCommands(program);
  for (const cmd of program.commands) if (['serve', 'run', 'demo'].includes(cmd.name())) addApiOptions(cmd);
  addFindingCommands(program);

  program
    .command('doctor')
    .description('check the sensor\'s setup (capabilities, the interface, API address, database): one line per check, with the fix')
    .option('-i, --interface <name>', 'the SPAN/TAP port to check')
    .addOption(dbOption())
    .option('--host <address>', 'API address', DEFAULT_HOST)
    .option('--port <port>', 'API port', int('--port', 0, 65535), DEFAULT_PORT)
    .option('--buffer-size <MiB>', 'the capture\'s kernel buffer', int('--buffer-size', 1, 4096), 32)
    .option('--no-promiscuous', 'the capture is not promiscuous')
    .option('--tls-cert <file>', 'the API\'s PEM certificate chain')
    .option('--tls-key <file>', 'the API\'s PEM private key')
    .option('--allow-plain-http', 'the API may serve plain HTTP off loopback')
    .action(async (o: { interface?: string; db?: string; host: string; port: number; bufferSize: number; promiscuous: boolean; tlsCert?: string; tlsKey?: string; allowPlainHttp?: boolean }) => {
      const lines: string[] = [];
      process.exitCode = doctor({ ...o, db: dbPath(o.db), bufferSizeMiB: o.bufferSize }, (l) => lines.push(forTerminal(l)));
      await printLines(lines);
    });

  program
    .command('reclassify')
    .description('classify every device again with the current signature library (after editing fingerprints)')
    .addOption(dbOption())
    .addOption(fingerprintsOption())
    .option('--fresh', 'forget previous classifications (no stability against earlier results)')
    .action(async (o: { db?: string; fingerprints?: string; fresh?: boolean }) => {
      const log = createLogger();
      const r = reclassify(dbPath(o.db), userFingerprintsDir(o.fingerprints), o.fresh === true, log);
      const cats = Object.entries(r.byCategory).map(([c, n]) => `${c} ${n}`).join(', ');
      await printLines([forTerminal(`classified ${r.devices} devices (${r.medical} medical): ${cats}`)]);
    });

  program
    .command('explain')
    .description('why auscult thinks a device is what it says: fields, confidence, signatures, evidence')
    .argument('<device>', 'device id, MAC or IP address')
    .addOption(dbOption())
    .addOption(fingerprintsOption())
    .action(async (key: string, o: { db?: string; fingerprints?: string }) => {
      const library = () => loadFingerprints(userFingerprintsDir(o.fingerprints), null);
      await printLines(explainDevice(dbPath(o.db), key, library));
    });

  program
    .command('fingerprints')
    .description('the signature library')
    .command('check')
    .description('validate every signature file and run every example')
    .addOption(fingerprintsOption())
    .action(async (o: { fingerprints?: string }) => {
      const lines: string[] = [];
      process.exitCode = fingerprintsCheck(userFingerprintsDir(o.fingerprints), (l) => lines.push(forTerminal(l)));
      await printLines(lines);
    });

  return program;
}

/** Exit code 2 for every usage error (what commander would exit 1 for); help and version exit 0. */
function usageExitCode(err: CommanderError): number {
  return err.exitCode === 0 ? 0 : 2;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    // commander printed its message already.
    if (err instanceof CommanderError) return usageExitCode(err);
    // The reader of our output went away (`| head`): nothing to report.
    if (err instanceof OutputClosed) return 0;
    // Messages may quote a file name or a value from the wire: escaped, line by line.
    const text = err instanceof UserFacingError ? err.message : `unexpected error: ${(err as Error).stack ?? String(err)}`;
    // Under systemd each line is filed at priority err.
    const lines = text.split('\n').map((l, i) => `${i === 0 ? 'auscult: ' : ''}${forTerminal(l)}`);
    await writeAll(process.stderr, errorLines(lines.join('\n'))).catch(() => undefined);
    return err instanceof UserFacingError ? err.exitCode : 1;
  }
}
