/**
 * Live capture from a network interface (the SPAN/TAP port) through libpcap, using the native
 * binding of the `pcap` npm package (3.1.0) directly: its JavaScript wrapper allocates an object and
 * emits an event per packet and prints a console warning for interfaces without an IPv4 address,
 * which is the normal state of a SPAN port.
 *
 * Receive only: auscult never transmits. This module never calls the binding's `inject()` and does
 * not expose the session, so nothing else can.
 *
 * Shutdown fix (patches/pcap+3.1.0.patch, applied by `postinstall`): in pcap@3.1.0 `close()` only
 * called pcap_breakloop(), which sets a flag libpcap reads in the *next* pcap_dispatch(); the uv_poll
 * handle on the capture fd stayed active and referenced until that dispatch, which only runs when the
 * kernel hands over the next ring block of matching packets. On a quiet link, or with a filter that
 * matches nothing more, that never happens and the process cannot exit. The patch closes the pcap
 * handle and uv_close()s the poll handle at once (deferred to the end of dispatch when close() is
 * called from a packet callback), and makes dispatch() after close() a no-op.
 */
import { createRequire } from 'node:module';
import { endianness } from 'node:os';

import { UserFacingError } from '../errors.js';
import { LinkType, type FrameSink } from './types.js';

export interface LiveCaptureOptions {
  /** Interface to listen on, e.g. "eth1" (the port the switch mirrors traffic to), or "any". */
  interface: string;
  /** BPF filter expression (pcap-filter(7)); empty or absent captures everything. */
  filter?: string;
  /** See frames not addressed to this host: needed on a SPAN port. Default true. */
  promiscuous?: boolean;
  /** Bytes kept per frame. Default 65535. */
  snapLength?: number;
  /** Kernel ring buffer size; larger absorbs bursts without drops. Default 32 MiB. */
  bufferSizeBytes?: number;
}

export interface LiveCaptureStats {
  /** Frames the kernel handed to libpcap (ps_recv). */
  received: number;
  /** Frames dropped because the capture buffer was full (ps_drop). */
  kernelDrops: number;
  /** Frames dropped by the interface or its driver, where the platform reports it (ps_ifdrop). */
  interfaceDrops: number;
}

export interface LiveCapture {
  /** LINKTYPE_* of the interface (see `LinkType`). */
  readonly linkType: number;
  /** libpcap counters; after close() the last values read before closing. */
  stats(): LiveCaptureStats;
  /** Stop capturing and release the interface. Idempotent; afterwards the process can exit. */
  close(): void;
}

const DEFAULT_SNAP_LENGTH = 65535;
const DEFAULT_BUFFER_SIZE_BYTES = 32 * 1024 * 1024;
/** TPACKET_V3 block timeout: the latest a quiet trickle of frames reaches the sink. */
const BUFFER_TIMEOUT_MS = 250;

/** The part of pcap@3.1.0's native binding (pcap_binding.cc, pcap_session.cc) we use. */
interface PcapBinding {
  PcapSession: new () => NativeSession;
  findalldevs(): { name: string }[];
}

interface NativeSession {
  open_live(
    device: string, filter: string, bufferSize: number, snapLength: number, outFile: string,
    packetReady: () => void, monitor: boolean, bufferTimeoutMs: number,
    warning: (message: string) => void, promiscuous: boolean,
  ): string;
  /** Reads the available frames into `buf`/`header`, calling packetReady per frame. */
  dispatch(buf: Buffer, header: Buffer): number;
  start_polling(): void;
  /** Called by the binding's poll handler when the capture fd is readable. */
  read_callback?: () => void;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
  close(): void;
}

/** The binding names link types with strings; the decoder wants LINKTYPE_* numbers. */
const LINK_TYPE_BY_NAME: Record<string, number> = {
  LINKTYPE_NULL: LinkType.NULL,
  LINKTYPE_ETHERNET: LinkType.ETHERNET,
  LINKTYPE_RAW: LinkType.RAW,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
  LINKTYPE_IEEE802_11_RADIO: 127,
};

const DECODABLE_LINK_TYPES = new Set<number>(Object.values(LinkType));

// CAP_NET_RAW alone: promiscuous mode through the capture socket needs no CAP_NET_ADMIN.
const FIX_PERMISSION =
  'run auscult as root, or with CAP_NET_RAW as its service does (docker/auscult.service, the container image); ' +
  'for a manual run, setcap cap_net_raw=ep on a copy of node private to auscult, never on the system-wide node (README: Deploying)';
const FIX_BINDING = 'install libpcap (sudo apt-get install libpcap-dev), then run npm ci again (it builds and patches the pcap binding)';

let binding: PcapBinding | undefined;

/** Loaded on first use so that reading capture files works on machines without libpcap. */
function loadBinding(): PcapBinding {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('pcap/build/Release/pcap_binding.node') as PcapBinding;
    } catch (err) {
      throw new UserFacingError(`live capture unavailable: the libpcap binding did not load (${firstLine(err)}); ${FIX_BINDING}`);
    }
  }
  return binding;
}

/** Opens `opts.interface` for receiving and starts delivering frames to `sink`. */
export function openLiveCapture(opts: LiveCaptureOptions, sink: FrameSink): LiveCapture {
  const device = opts.interface.trim();
  if (device === '') throw new UserFacingError('no capture interface given; name the SPAN/TAP port, e.g. --interface eth1');
  const filter = opts.filter?.trim() ?? '';
  const snapLength = positiveInt(opts.snapLength, DEFAULT_SNAP_LENGTH, 'snapLength');
  const bufferSizeBytes = positiveInt(opts.bufferSizeBytes, DEFAULT_BUFFER_SIZE_BYTES, 'bufferSizeBytes');

  const pcap = loadBinding();
  const session = new pcap.PcapSession();
  const frameBuf = Buffer.alloc(snapLength);
  // The binding copies tv_sec, tv_usec, caplen, len as four native-endian 32-bit words.
  const header = Buffer.alloc(16);
  const readU32 = endianness() === 'LE'
    ? (at: number) => header.readUInt32LE(at)
    : (at: number) => header.readUInt32BE(at);
  let linkType = 0;

  const packetReady = (): void => {
    const tsMicros = readU32(0) * 1_000_000 + readU32(4);
    const caplen = Math.min(readU32(8), frameBuf.length);
    sink.frame(frameBuf, 0, caplen, readU32(12), tsMicros, linkType);
  };
  // libpcap warns when the interface has no IPv4 address (only the netmask for "ip broadcast"
  // filters is missing): the normal state of a SPAN port, so not worth reporting.
  const ignoreWarning = (): void => {};

  try {
    const name = session.open_live(device, filter, bufferSizeBytes, snapLength, '', packetReady, false,
      BUFFER_TIMEOUT_MS, ignoreWarning, opts.promiscuous ?? true);
    linkType = linkTypeNumber(name);
  } catch (err) {
    session.close(); // frees a half-opened libpcap handle
    throw openError(pcap, device, filter, err);
  }
  if (!DECODABLE_LINK_TYPES.has(linkType)) {
    session.close();
    throw new UserFacingError(`interface ${device} delivers link type ${linkType}, which auscult does not decode; ` +
      'capture on an Ethernet interface (the SPAN/TAP port) or on "any"');
  }

  session.read_callback = () => { session.dispatch(frameBuf, header); };
  session.start_polling();
  // One read right away, as pcap.js does, for frames already waiting when polling starts.
  process.nextTick(session.read_callback);

  let closed = false;
  let lastStats: LiveCaptureStats = { received: 0, kernelDrops: 0, interfaceDrops: 0 };
  const readStats = (): LiveCaptureStats => {
    if (!closed) {
      const s = session.stats();
      lastStats = { received: s.ps_recv, kernelDrops: s.ps_drop, interfaceDrops: s.ps_ifdrop };
    }
    return { ...lastStats };
  };

  return {
    linkType,
    stats: readStats,
    close(): void {
      if (closed) return;
      readStats();
      closed = true;
      session.close();
    },
  };
}

function linkTypeNumber(name: string): number {
  const known = LINK_TYPE_BY_NAME[name];
  if (known !== undefined) return known;
  // "Unknown linktype <DLT>": for DLTs without their own string, DLT and LINKTYPE values coincide.
  const m = /(\d+)$/.exec(name);
  return m ? Number(m[1]) : -1;
}

function openError(pcap: PcapBinding, device: string, filter: string, err: unknown): UserFacingError {
  const message = firstLine(err);
  if (/permission|not permitted/i.test(message)) {
    return new UserFacingError(`no permission to capture on ${device} (${message}); ${FIX_PERMISSION}`);
  }
  if (/no such device/i.test(message)) {
    return new UserFacingError(`unknown interface ${device}; available: ${availableInterfaces(pcap)}`);
  }
  if (/not up/i.test(message)) {
    return new UserFacingError(`interface ${device} is down; bring it up first: sudo ip link set ${device} up`);
  }
  // The binding compiles the filter after activating the interface, so what fails past the
  // checks above with a filter given is the filter.
  if (filter !== '') {
    return new UserFacingError(`bad capture filter "${filter}": ${message}; see man 7 pcap-filter`);
  }
  return new UserFacingError(`cannot capture on ${device}: ${message}`);
}

function availableInterfaces(pcap: PcapBinding): string {
  try {
    const names = pcap.findalldevs().map((d) => d.name);
    return names.length > 0 ? names.join(', ') : '(none found)';
  } catch (err) {
    return `(could not list them: ${firstLine(err)})`;
  }
}

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0 || value > 0x7fffffff) {
    throw new UserFacingError(`${what} must be a positive integer, got ${value}`);
  }
  return value;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim();
}
