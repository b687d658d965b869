/** The thresholds of the events that count something (config file section `events`). */
export interface EventThresholds {
  /** Two MACs claiming one IPv4 address by ARP this close together (seconds) are an arp.conflict. */
  arpConflictWindowSeconds: number;
  /** More new MACs than this within one minute of capture time is a mac.flood. */
  macFloodNewMacsPerMinute: number;
  /** Live capture: a device with no packet for this long (seconds) is device.silent. */
  silentAfterSeconds: number;
  /** Live capture: at least this many kernel drops within the interval is capture.drops. */
  captureDropsThreshold: number;
  /** The interval (seconds) the drops are counted over. */
  captureDropsIntervalSeconds: number;
}

export const DEFAULT_EVENT_THRESHOLDS: Readonly<EventThresholds> = {
  arpConflictWindowSeconds: 300,
  // A capture's first minute on a large network meets thousands of devices: a flood is far more (macof: thousands a second).
  macFloodNewMacsPerMinute: 3000,
  silentAfterSeconds: 3600,
  captureDropsThreshold: 1000,
  captureDropsIntervalSeconds: 60,
};

/**
 * ARP claims by address: two MACs claiming one IPv4 address within the window are a conflict (an
 * address taken by mistake, or ARP spoofing as arpspoof does it). Bounded: past the address limit the
 * memory starts over (a conflict across that moment is missed, never invented).
 */
export class ArpWatch {
  private readonly claims = new Map<string, Map<string, number>>();
  /** Conflicts reported (ip and MAC set), so a spoofer's every packet does not report again. */
  private readonly reported = new Set<string>();

  constructor(private readonly windowMs: number, private readonly maxAddresses = 65_536) {}

  /** `mac` claims `ip` at `tsMs`: the MACs in conflict (earliest claimer first) when another claimed it within the window, else null. */
  claim(ip: string, mac: string, tsMs: number): string[] | null {
    let byMac = this.claims.get(ip);
    if (byMac === undefined) {
      if (this.claims.size >= this.maxAddresses) {
        this.claims.clear();
        this.reported.clear();
      }
      byMac = new Map();
      this.claims.set(ip, byMac);
    }
    byMac.set(mac, tsMs);
    if (byMac.size === 1) return null;
    for (const [m, at] of byMac) if (tsMs - at > this.windowMs) byMac.delete(m);
    if (byMac.size < 2) return null;
    const macs = [...byMac.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([m]) => m);
    const key = `${ip}|${[...macs].sort().join(',')}`;
    if (this.reported.has(key)) return null;
    this.reported.add(key);
    return macs;
  }
}

/** New MACs per minute of capture time; a minute over the threshold is reported once. */
export class MacFloodMeter {
  private readonly perMinute = new Map<number, number>();
  private readonly reported = new Set<number>();

  constructor(private readonly threshold: number) {}

  newMac(tsMs: number): void {
    const minute = Math.floor(tsMs / 60_000);
    this.perMinute.set(minute, (this.perMinute.get(minute) ?? 0) + 1);
  }

  /** Minutes (start ms, count) over the threshold not reported before; forgets minutes long past. */
  floods(): { minuteStartMs: number; newMacs: number }[] {
    const out: { minuteStartMs: number; newMacs: number }[] = [];
    let newest = -Infinity;
    for (const [minute, n] of this.perMinute) {
      newest = Math.max(newest, minute);
      if (n > this.threshold && !this.reported.has(minute)) {
        this.reported.add(minute);
        out.push({ minuteStartMs: minute * 60_000, newMacs: n });
      }
    }
    for (const minute of this.perMinute.keys()) {
      if (minute < newest - 10) {
        this.perMinute.delete(minute);
        this.reported.delete(minute);
      }
    }
    return out;
  }
}

/** Kernel drops over an interval of wall-clock (live capture) time. */
export class DropsMeter {
  private intervalStartMs: number | null = null;
  private dropsAtStart = 0;
  private receivedAtStart = 0;

  constructor(private readonly threshold: number, private readonly intervalMs: number) {}

  /** Cumulative counters at `nowMs`: the interval's drops and packets when they reach the threshold (a new interval starts), else null. */
  sample(kernelDrops: number, received: number, nowMs: number): { dropped: number; received: number } | null {
    // The counters start at 0 when the capture opens: the first interval starts then.
    if (this.intervalStartMs === null) this.start(0, 0, nowMs);
    else if (kernelDrops < this.dropsAtStart) {
      this.start(kernelDrops, received, nowMs); // counters reset (capture reopened)
      return null;
    }
    const dropped = kernelDrops - this.dropsAtStart;
    if (dropped >= this.threshold) {
      const got = received - this.receivedAtStart;
      this.start(kernelDrops, received, nowMs);
      return { dropped, received: got };
    }
    if (nowMs - (this.intervalStartMs ?? nowMs) >= this.intervalMs) this.start(kernelDrops, received, nowMs);
    return null;
  }

  private start(kernelDrops: number, received: number, nowMs: number): void {
    this.intervalStartMs = nowMs;
    this.dropsAtStart = kernelDrops;
    this.receivedAtStart = received;
  }
}
