/**
 * Runs the findings engine after identification: for each device just classified, its findings now
 * (findings.ts) are folded into the stored ones and its risk block written, in batches inside one
 * transaction per batch. Reads through the Store's reader; writes through its FindingsWriter.
 */
import { eventId } from '../events/event-id.js';
import { SEVERITIES, type Severity } from '../export/event.js';
import type { Store } from '../store/store.js';
import type { FindingChange } from '../store/findings.js';
import type { StoreReader } from '../store/reader.js';
import { AdvisoryMatcher } from './advisory-match.js';
import { IndicatorIndex } from './advisory-ioc.js';
import type { AdvisoryAliases } from './advisory-aliases.js';
import type { FindingData } from './finding-types.js';
import { FindingsEngine, type FindingContext } from './findings.js';
import { impactFactors, riskOf, storedImpact } from './risk-score.js';

/** Devices per transaction: a long capture's thousands of devices do not hold the write lock at once. */
const BATCH = 500;

/** Hours without evidence after which a finding is resolved (findings.resolve_after_hours; 0: never). */
export const DEFAULT_RESOLVE_AFTER_HOURS = 168;
const HOUR_MS = 3_600_000;

export class FindingsRunner {
  private readonly engine: FindingsEngine;
  private readonly reader: StoreReader;
  private context: FindingContext = { matcher: null, indicators: null };
  private advisoriesVersion = '';
  /** Changes of the last run (new, reopened, resolved findings), for the event feed. */
  lastChanges: FindingChange[] = [];

  private readonly resolveAfterMs: number;
  /** The store's latest capture time at the last run: devices seen since may open a resolved finding again. */
  private seenUpToMs: number;

  /** `resolveAfterHours`: a finding with no evidence for this long, in capture time, is resolved (0: never). */
  constructor(
    private readonly store: Store, readonly data: FindingData, private readonly aliases: AdvisoryAliases | null,
    resolveAfterHours = DEFAULT_RESOLVE_AFTER_HOURS,
  ) {
    this.engine = new FindingsEngine(data);
    this.reader = store.reader;
    this.resolveAfterMs = resolveAfterHours * HOUR_MS;
    this.seenUpToMs = this.reader.latestSeenMs() ?? Number.MIN_SAFE_INTEGER;
  }

  /** Advisories imported since the last run are matched from this run on. */
  private refreshAdvisories(): void {
    const version = this.reader.advisoriesVersion();
    if (version === this.advisoriesVersion) return;
    this.advisoriesVersion = version;
    const advisories = this.reader.advisories();
    this.context = {
      matcher: this.aliases !== null && advisories.length ? new AdvisoryMatcher(advisories, this.aliases) : null,
      indicators: advisories.length ? new IndicatorIndex(this.reader.indicators()) : null,
    };
  }

  private event(c: FindingChange, mac: string | null, ip: string | null): void {
    findingEvent(this.store, c, mac, ip);
  }

  /**
   * Compute the findings and risk of these devices, and of every device with a finding whose evidence
   * is older than the resolution age; returns the changes. Age is capture time: the store's latest packet
   * is "now", so reading last month's capture resolves by last month's clock, not today's. The ids may be
   * a packed array (the classifier's run over a million new devices): read by index, never copied whole.
   */
  run(ids: ArrayLike<number>, nowMs = Date.now()): FindingChange[] {
    const changes: FindingChange[] = [];
    const latest = this.reader.latestSeenMs();
    const cutoffMs = latest === null || this.resolveAfterMs === 0 ? null : latest - this.resolveAfterMs;
    // Beside the devices just classified: those whose findings' evidence grew old, and those seen again
    // with a resolved finding (the same evidence, newer, adds no observation: identification skips them).
    const extra = [...this.reader.resolvedFindingDevicesSeenAfter(this.seenUpToMs), ...(cutoffMs === null ? [] : this.reader.staleFindingDevices(cutoffMs))];
    if (latest !== null) this.seenUpToMs = latest;
    const more = extraIds(ids, extra);
    const total = ids.length + more.length;
    if (total === 0) return (this.lastChanges = changes);
    this.refreshAdvisories();
    for (let i = 0; i < total; i += BATCH) {
      this.store.transaction(() => {
        for (let j = i; j < Math.min(total, i + BATCH); j++) {
          const id = j < ids.length ? ids[j] : more[j - ids.length];
          const input = this.reader.findingInput(id, this.engine.sources);
          if (input === null) continue;
          const computed = this.engine.compute(input, this.context);
          // Most devices have no finding and never had one: nothing to write.
          if (computed.length === 0 && !this.reader.hasRisk(id)) continue;
          // Evidence older than the resolution age no longer holds the finding: it is resolved at the
          // capture time that age was reached, and opens again when new evidence comes.
          const staleAt = new Map<string, number>();
          if (cutoffMs !== null) for (const c of computed) if (c.lastMs < cutoffMs) staleAt.set(`${c.type}\0${c.key}`, c.lastMs + this.resolveAfterMs);
          const changed = this.store.findings.sync(id, computed, nowMs, input.lastSeenMs, staleAt);
          for (const c of changed) this.event(c, input.mac, input.ip);
          changes.push(...changed);
          const impact = impactFactors(input, this.data.risk);
          this.store.findings.writeRisk(id, riskOf(this.reader.findingPoints(id), impact, this.data.risk));
        }
      });
    }
    return (this.lastChanges = changes);
  }
}

/**
 * The devices of `extra` not among `ids`, once each. `ids` may hold a million devices: a set of them is
 * made only when it is small; otherwise a device in both is computed twice, which changes nothing the
 * second time.
 */
function extraIds(ids: ArrayLike<number>, extra: readonly number[]): number[] {
  if (extra.length === 0) return [];
  const unique = [...new Set(extra)];
  if (ids.length > 65536) return unique;
  const seen = new Set(Array.from(ids));
  return unique.filter((id) => !seen.has(id));
}

/**
 * finding.new (also when a resolved finding opens again) and finding.resolved on the event feed, in the
 * findings' transaction. The id names the finding and the time of what changed: the same capture read
 * again appends nothing, a new occurrence after a resolution is a new event.
 */
function findingEvent(store: Store, c: FindingChange, mac: string | null, ip: string | null): void {
  const type = c.change === 'resolved' ? 'finding.resolved' : 'finding.new';
  const severity: Severity = c.change === 'resolved' ? 'info' : SEVERITIES.includes(c.severity as Severity) ? (c.severity as Severity) : 'medium';
  const what = c.key ? `${c.type} ${c.key}` : c.type;
  const subject = `${mac ?? ip ?? `device ${c.deviceId}`}`;
  store.events.append({
    id: eventId(type, subject, String(c.findingId), c.timeMs),
    time: new Date(c.timeMs).toISOString(),
    type,
    severity,
    device_id: c.deviceId,
    summary: `${c.change === 'resolved' ? 'Finding resolved' : c.change === 'reopened' ? 'Finding open again' : 'New finding'}: ${what} on ${subject}`,
    details: { finding_id: String(c.findingId), finding_type: c.type, mac, ip },
  });
}

/**
 * Acknowledge a finding (an analyst accepts the risk, with a reason): it stays listed, marked, and
 * stops counting in its device's score, which is computed again. Returns false when there is no such
 * unresolved finding.
 */
export function acknowledgeFinding(
  w: { reader: StoreReader; findings: Store['findings']; transaction: Store['transaction'] },
  data: FindingData, id: number, reason: string, nowMs = Date.now(),
): boolean {
  let done = false;
  w.transaction(() => {
    const deviceId = w.findings.acknowledge(id, reason, nowMs);
    if (deviceId === null) return;
    done = true;
    w.findings.writeRisk(deviceId, riskOf(w.reader.findingPoints(deviceId), storedImpact(w.reader.deviceRisk(deviceId)), data.risk));
  });
  return done;
}
