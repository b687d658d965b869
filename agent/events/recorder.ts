/**
 * The events stage: turns what the Store reports as new (InventoryChanges) into events and appends
 * them in the same transaction. Each event's id is computed from what it says (event-id.ts), so the
 * same capture read again appends nothing new. Live-only events (device.silent, capture.drops) are
 * checked by the live capture at each flush (checkLive).
 */
import { DEFAULT_SEVERITY, type AuscultEvent, type EventDetails, type EventType, type IdentityChange } from '../export/event.js';
import type { DeviceSubject, InventoryChanges, NewEdge } from '../store/changes.js';
import type { Store } from '../store/store.js';
import { eventId } from './event-id.js';
import { isPublicAddress } from './public-address.js';
import { ArpWatch, DEFAULT_EVENT_THRESHOLDS, DropsMeter, MacFloodMeter, type EventThresholds } from './thresholds.js';

/** At most this many device.silent events per check (a switch going down silences many at once; the next checks go on). */
const SILENT_PER_CHECK = 10_000;

const iso = (ms: number): string => new Date(ms).toISOString();
const keyOf = (d: DeviceSubject): string => d.mac ?? d.routedIp ?? `device ${d.id}`;

export class EventRecorder implements InventoryChanges {
  readonly thresholds: EventThresholds;
  private readonly arp: ArpWatch;
  private readonly macFlood: MacFloodMeter;
  private readonly drops: DropsMeter;
  /** Conflicts seen since the last flush (ARP frames arrive between flushes; events are written at flush). */
  private pendingConflicts: { ip: string; macs: string[]; tsMs: number }[] = [];
  /** Devices created in this flush: their first address is in their device.new event. */
  private createdThisFlush = new Set<number>();
  /** Upper bound of the last silence check (capture time, ms). */
  private silentCheckedUpToMs: number | null = null;

  constructor(private readonly store: Store, thresholds: Partial<EventThresholds> = {}) {
    this.thresholds = { ...DEFAULT_EVENT_THRESHOLDS, ...stripUndefined(thresholds) };
    this.arp = new ArpWatch(this.thresholds.arpConflictWindowSeconds * 1000);
    this.macFlood = new MacFloodMeter(this.thresholds.macFloodNewMacsPerMinute);
    this.drops = new DropsMeter(this.thresholds.captureDropsThreshold, this.thresholds.captureDropsIntervalSeconds * 1000);
    store.changes = this;
  }

  private emit<T extends EventType>(type: T, id: string, timeMs: number, deviceId: number | null, summary: string, details: EventDetails[T]): void {
    const e: Omit<AuscultEvent<T>, 'seq'> = { id, time: iso(timeMs), type, severity: DEFAULT_SEVERITY[type], device_id: deviceId, summary, details };
    this.store.events.append(e);
  }

  deviceCreated(deviceId: number, ip: string | null, tsMs: number): void {
    const d = this.store.deviceSubject(deviceId);
    if (d === null) return;
    this.createdThisFlush.add(deviceId);
    if (d.mac !== null) this.macFlood.newMac(tsMs);
    const key = keyOf(d);
    const firstIp = ip ?? d.routedIp;
    this.emit('device.new', eventId('device.new', key), tsMs, deviceId,
      `New device ${key}${d.macVendor ? ` (${d.macVendor})` : ''}${firstIp && firstIp !== key ? ` at ${firstIp}` : ''}`,
      { mac: d.mac, ip: firstIp, mac_vendor: d.macVendor });
  }

  addressBound(deviceId: number, ip: string, previousDeviceId: number, tsMs: number): void {
    if (previousDeviceId === 0 && this.createdThisFlush.has(deviceId)) return;
    const d = this.store.deviceSubject(deviceId);
    if (d === null) return;
    const prev = previousDeviceId === 0 ? null : this.store.deviceSubject(previousDeviceId);
    const key = keyOf(d);
    const summary = prev === null ? `New address ${ip} for ${key}` : `Address ${ip} moved from ${keyOf(prev)} to ${key}`;
    this.emit('device.address_changed', eventId('device.address_changed', key, ip, prev?.mac ?? null, tsMs), tsMs, deviceId, summary,
      { ip, mac: d.mac, previous_mac: prev?.mac ?? null, previous_device_id: prev?.id ?? null });
  }

  serviceCreated(deviceId: number, ip: string | null, transport: string, port: number, tsMs: number): void {
    const d = this.store.deviceSubject(deviceId);
    if (d === null) return;
    const key = keyOf(d);
    const at = ip ?? d.routedIp ?? '';
    this.emit('service.new', eventId('service.new', key, at, transport, port), tsMs, deviceId, `New service ${transport}/${port} on ${key}`,
      { ip: at, transport: transport === 'udp' ? 'udp' : 'tcp', port, mac: d.mac });
  }

  edgeCreated(e: NewEdge): void {
    // The internal side's first conversation with a public address (in either direction).
    const clientPublic = isPublicAddress(e.clientIp);
    const serverPublic = isPublicAddress(e.serverIp);
    if (clientPublic === serverPublic) return;
    const deviceId = serverPublic ? e.clientDeviceId : e.serverDeviceId;
    if (deviceId === 0) return;
    const d = this.store.deviceSubject(deviceId);
    if (d === null) return;
    const ip = serverPublic ? e.clientIp : e.serverIp;
    const peer = serverPublic ? e.serverIp : e.clientIp;
    const key = keyOf(d);
    this.emit('peer.external_new', eventId('peer.external_new', key, peer), e.firstSeenMs, deviceId,
      `${key} ${serverPublic ? 'talked to' : 'was reached from'} public address ${peer} (${e.transport}/${e.port})`,
      { ip, peer_ip: peer, port: e.port, transport: e.transport, mac: d.mac });
  }

  observationCreated(deviceId: number, source: string, fieldsJson: string, tsMs: number): void {
    if (!fieldsJson.includes('"hostname"')) return; // most facts name no host: no parse
    const hostname = (JSON.parse(fieldsJson) as { hostname?: unknown }).hostname;
    if (typeof hostname !== 'string' || hostname === '') return;
    const d = this.store.deviceSubject(deviceId);
    if (d === null) return;
    const key = keyOf(d);
    // The name alone: the same name from DHCP and then mDNS is one event.
    this.emit('device.hostname_new', eventId('device.hostname_new', key, hostname), tsMs, deviceId, `${key} is named ${hostname} (${source})`,
      { hostname, source, mac: d.mac });
  }

  identityChanged(deviceId: number, changes: IdentityChange[]): void {
    const d = this.store.deviceSubject(deviceId);
    if (d === null) return;
    const key = keyOf(d);
    const facts = changes.flatMap((c) => [c.field, c.before, c.after]);
    const what = changes.map((c) => `${c.field} ${c.before ?? '(unknown)'} → ${c.after ?? '(unknown)'}`).join(', ');
    this.emit('device.identity_changed', eventId('device.identity_changed', key, ...facts), d.lastSeenMs, deviceId, `${key}: ${what}`,
      { mac: d.mac, changes });
  }

  arpClaim(ip: string, mac: string, tsMs: number): void {
    const macs = this.arp.claim(ip, mac, tsMs);
    if (macs !== null) this.pendingConflicts.push({ ip, macs, tsMs });
  }

  flushEnd(): void {
    this.createdThisFlush = new Set();
    const conflicts = this.pendingConflicts;
    this.pendingConflicts = [];
    for (const c of conflicts) {
      // The address's device: the earliest claimer's (the others claim an address it held).
      const deviceId = this.store.reader.findDevices(c.macs[0])[0] ?? null;
      const day = iso(c.tsMs).slice(0, 10);
      this.emit('arp.conflict', eventId('arp.conflict', c.ip, [...c.macs].sort().join(','), day), c.tsMs, deviceId,
        `${c.ip} claimed by ${c.macs.length} MACs: ${c.macs.join(', ')}`, { ip: c.ip, macs: c.macs, mac: c.macs[0] });
    }
    for (const f of this.macFlood.floods()) {
      this.emit('mac.flood', eventId('mac.flood', '', f.minuteStartMs), f.minuteStartMs, null,
        `${f.newMacs} new MACs in the minute from ${iso(f.minuteStartMs)} (threshold ${this.thresholds.macFloodNewMacsPerMinute})`,
        { new_macs_per_minute: f.newMacs, threshold: this.thresholds.macFloodNewMacsPerMinute });
    }
  }

  /**
   * Live capture, after a flush: devices that fell silent since the last check, and kernel drops over
   * the threshold. `nowMs` is the capture's clock (wall clock, live).
   */
  checkLive(nowMs: number, capture: { interface: string; kernelDrops: number; received: number }): void {
    this.store.transaction(() => {
      const silentMs = this.thresholds.silentAfterSeconds * 1000;
      const upTo = nowMs - silentMs;
      // The first check looks back one silence period: devices silent for longer were so before this capture.
      const after = this.silentCheckedUpToMs ?? upTo - silentMs;
      if (upTo > after) {
        const silent = this.store.devicesLastSeenBetween(after, upTo, SILENT_PER_CHECK);
        this.silentCheckedUpToMs = silent.length === SILENT_PER_CHECK ? silent[silent.length - 1].lastSeenMs : upTo;
        for (const d of silent) {
          const key = keyOf(d);
          const silentSeconds = Math.round((nowMs - d.lastSeenMs) / 1000);
          this.emit('device.silent', eventId('device.silent', key, d.lastSeenMs), d.lastSeenMs + silentMs, d.id,
            `${key} silent since ${iso(d.lastSeenMs)}`,
            { mac: d.mac, ip: d.routedIp, last_seen: iso(d.lastSeenMs), silent_seconds: silentSeconds });
        }
      }
      const dropped = this.drops.sample(capture.kernelDrops, capture.received, nowMs);
      if (dropped !== null) {
        this.emit('capture.drops', eventId('capture.drops', capture.interface, nowMs, capture.kernelDrops), nowMs, null,
          `${capture.interface}: the kernel dropped ${dropped.dropped} packets (threshold ${this.thresholds.captureDropsThreshold})`,
          { interface: capture.interface, dropped: dropped.dropped, received: dropped.received, threshold: this.thresholds.captureDropsThreshold });
      }
    });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
