/**
 * `auscult findings [list]`, `auscult findings ack ID --reason ...`, `auscult findings refresh` and
 * `auscult risk`: the findings and risk scores in the database, for people (table) and tools (JSON).
 */
import { UserFacingError } from '../errors.js';
import { loadAdvisoryAliases } from '../risk/advisory-aliases.js';
import { acknowledgeFinding, FindingsRunner } from '../risk/findings-run.js';
import { FindingDataError, loadFindingData, type FindingData } from '../risk/finding-types.js';
import type { Finding } from '../store/finding-json.js';
import { openFindingsStore, type FindingFilter } from '../store/findings.js';
import type { Device } from '../store/device-json.js';
import { StoreReader } from '../store/reader.js';
import { Store } from '../store/store.js';

/** The finding data (built-in, then the user directory's findings/), or a user-facing error naming every invalid entry. */
export function findingData(userDir: string | undefined): FindingData {
  try {
    return loadFindingData({ userDir });
  } catch (err) {
    if (err instanceof FindingDataError) throw new UserFacingError(err.message);
    throw err;
  }
}

export function listFindings(db: string, filter: Omit<FindingFilter, 'afterId' | 'limit'>): Finding[] {
  const reader = StoreReader.open(db);
  try {
    const out: Finding[] = [];
    let afterId = 0;
    for (;;) {
      const { items, nextAfterId } = reader.findings({ ...filter, afterId, limit: 1000 });
      out.push(...items);
      if (nextAfterId === null) return out;
      afterId = nextAfterId;
    }
  } finally {
    reader.close();
  }
}

const table = (header: string[], rows: string[][]): string[] => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
};

/** What a finding rests on, in a few words: peers and ports, or the detail. */
function where(f: Finding): string {
  const peers = f.evidence.peers.slice(0, 3).map((p) => `${p.peer_ip}:${p.transport}/${p.port}`);
  const more = f.evidence.peers.length > 3 ? ` +${f.evidence.peers.length - 3}` : '';
  if (peers.length) return peers.join(' ') + more;
  const d = f.evidence.detail as { os?: string; end_of_support?: string; indicator?: string } | undefined;
  if (d?.os) return `${d.os} (end of support ${d.end_of_support})`;
  if (d?.indicator) return d.indicator;
  return f.evidence.facts.map((x) => `${x.path}=${JSON.stringify(x.value)}`).join(' ');
}

export function formatFindings(list: Finding[], format: 'table' | 'json'): string {
  if (format === 'json') return JSON.stringify(list, null, 2);
  const rows = list.map((f) => [
    String(f.id), String(f.device_id), f.severity, f.status === 'acknowledged' ? 'ack' : f.status, f.key ? `${f.type} ${f.key}` : f.type,
    f.last_seen.slice(0, 19).replace('T', ' '), where(f),
  ]);
  const acks = list.filter((f) => f.status === 'acknowledged').map((f) => `  #${f.id} acknowledged: ${f.ack_reason ?? ''}`);
  return [...table(['ID', 'DEVICE', 'SEVERITY', 'STATUS', 'TYPE', 'LAST SEEN', 'EVIDENCE'], rows), `${list.length} findings`, ...acks].join('\n');
}

export async function ackFinding(db: string, id: number, reason: string, data: FindingData): Promise<Finding> {
  if (reason.trim() === '') throw new UserFacingError('--reason must say why the risk is accepted');
  const s = await openFindingsStore(db);
  try {
    if (!acknowledgeFinding(s, data, id, reason.trim())) {
      throw new UserFacingError(s.reader.finding(id) === null ? `no finding with id ${id}` : `finding ${id} is resolved: nothing to acknowledge`);
    }
    return s.reader.finding(id) as Finding;
  } finally {
    s.close();
  }
}

/** Compute every device's findings and risk again (after editing finding data or importing advisories). */
export function refreshFindings(
  db: string, data: FindingData, userDir: string | undefined, resolveAfterHours?: number,
): { devices: number; findings: number } {
  const store = new Store(db);
  try {
    const ids = store.reader.deviceIds();
    new FindingsRunner(store, data, loadAdvisoryAliases({ userDir }), resolveAfterHours).run(ids);
    return { devices: ids.length, findings: countOpen(store.reader) };
  } finally {
    store.close();
  }
}

function countOpen(r: StoreReader): number {
  let n = 0;
  let afterId = 0;
  for (;;) {
    const { items, nextAfterId } = r.findings({ status: 'open', afterId, limit: 1000 });
    n += items.length;
    if (nextAfterId === null) return n;
    afterId = nextAfterId;
  }
}

/** `auscult risk`: the riskiest devices with their top reasons. */
export function riskiest(db: string, limit: number, minRisk: number): Device[] {
  const reader = StoreReader.open(db);
  try {
    return reader.listDevices({ sort: 'risk', minRisk, limit }).items;
  } finally {
    reader.close();
  }
}

export function formatRisk(devices: Device[], format: 'table' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify(devices.map((d) => ({
      id: d.id, mac: d.mac, ips: d.ips.map((a) => a.ip), vendor: d.vendor, model: d.model, category: d.category, medical: d.medical, risk: d.risk,
    })), null, 2);
  }
  const lines: string[] = [];
  for (const d of devices) {
    const name = [d.vendor, d.model].filter(Boolean).join(' ') || d.mac_vendor || '';
    lines.push(`${String(d.risk.score).padStart(3)} ${d.risk.level.padEnd(8)} device ${d.id} ${d.ips[0]?.ip ?? d.mac ?? ''} ${d.category}${name ? ` (${name})` : ''}`);
    lines.push(`      likelihood ${d.risk.likelihood} x impact ${d.risk.impact}`);
    for (const f of d.risk.factors.filter((x) => x.kind === 'likelihood').slice(0, 3)) lines.push(`      +${f.points} ${f.factor}: ${f.detail}`);
    for (const f of d.risk.factors.filter((x) => x.kind === 'impact')) lines.push(`      impact ${f.factor} ${f.points}`);
  }
  lines.push(`${devices.length} devices`);
  return lines.join('\n');
}
