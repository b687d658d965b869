/**
 * One device: identity with confidence and, per field, the reasons (signatures and the evidence they
 * matched, as `auscult explain` gives them); the clinical block; addresses over time; services; peers;
 * findings with remediation and advisories; the device's events as a timeline.
 */
import { get, type AuscultEvent, type DeviceDetail, type FieldResult } from '../api.js';
import { facts, h, link, render, table, type Child } from '../dom.js';
import { bytes, count, time } from '../format.js';
import { href } from '../router.js';
import { deviceLink, deviceName, failed, loading, riskBadge, section } from './common.js';

const FIELDS = ['vendor', 'model', 'category', 'os', 'firmware', 'software'] as const;

function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Why a field has its value: each signature with its weight and the evidence paths it matched. */
function reasons(name: string, r: FieldResult | undefined): Child {
  if (!r || r.value === null) return null;
  return h('div', { className: 'reason', 'data-field': name },
    h('h3', null, `${name}: `, h('span', { className: 'value' }, r.value), ` (confidence ${r.confidence}, from ${r.source})`),
    r.signatures.length === 0 ? h('p', null, 'No signature: ', r.source) : h('ul', null, r.signatures.map((s) => h('li', null,
      h('code', null, s.id), ` weight ${s.weight}`, s.value !== r.value ? ` → ${valueText(s.value)}` : '',
      s.matched.length ? h('ul', null, s.matched.map((m) => h('li', null, h('code', null, m.path), ' = ', h('span', { className: 'wire' }, valueText(m.value))))) : null))),
    r.alternatives.length ? h('p', { className: 'help' }, 'Also considered: ', r.alternatives.map((a) => `${a.value} (${a.score})`).join(', ')) : null);
}

function evidenceTable(evidence: Record<string, Record<string, unknown[]>>, caption: string): Child {
  const rows: Child[][] = [];
  for (const [source, fields] of Object.entries(evidence)) {
    for (const [field, values] of Object.entries(fields)) rows.push([source, field, values.map(valueText).join(', ')]);
  }
  return rows.length ? table(['Protocol', 'Field', 'Values'], rows, caption) : h('p', null, 'None.');
}

export function deviceScreen(main: HTMLElement, id: number): () => void {
  document.title = `Device ${id} · auscult`;
  if (!Number.isSafeInteger(id) || id < 1) {
    render(main, h('h1', null, 'No such device'), h('p', null, link(href('devices'), 'Inventory')));
    return () => {};
  }
  loading(main, `device ${id}`);
  get<DeviceDetail>(`/api/v1/devices/${id}`).then((d) => {
    document.title = `${deviceName(d)} · auscult`;
    const c = (d.classification ?? {}) as Record<string, FieldResult | undefined>;
    const timeline = h('div', null);
    render(main,
      h('p', { className: 'crumbs' }, link(href('devices'), 'Inventory'), ' › ', `device ${d.id}`),
      h('h1', null, deviceName(d)),
      section('Identity', 'd-identity', facts([
        ['Vendor', d.vendor ?? '—'],
        ['Model', d.model ?? '—'],
        ['Category', d.category],
        ['Confidence', h('span', { 'data-testid': 'confidence' }, `${d.confidence}`)],
        ['Medical', d.medical ? 'yes' : 'no'],
        ['Criticality', d.criticality],
        ['Operating system', d.os],
        ['Firmware', d.firmware],
        ['Risk', riskBadge(d.risk)],
        ['MAC', d.mac ? `${d.mac}${d.mac_vendor ? ` (${d.mac_vendor})` : ''}` : null],
        ['Kind', `${d.kind}${d.is_router ? ', router' : ''}`],
        ['Host names', d.hostnames.length ? d.hostnames.map((n) => `${n.name} (${n.source})`).join(', ') : null],
        ['VLANs', d.vlans.join(', ') || null],
        ['First seen', time(d.first_seen)],
        ['Last seen', time(d.last_seen)],
        ['Traffic', `${count(d.packets)} packets, ${bytes(d.bytes)}`],
      ])),
      section('Why', 'd-why', FIELDS.map((f) => reasons(f, c[f])), d.classification === null ? h('p', null, 'Not classified yet.') : null),
      d.clinical ? section('Clinical', 'd-clinical',
        table(['Protocol', 'Roles', 'In clear', 'Encrypted', 'First seen', 'Last seen'], d.clinical.protocols.map((p) =>
          [p.protocol, p.roles.join(', '), p.cleartext ? 'yes' : 'no', p.encrypted ? 'yes' : 'no', time(p.first_seen), time(p.last_seen)])),
        evidenceTable(d.clinical.facts, 'Clinical facts (AE titles, applications, locations…)')) : null,
      section('Findings', 'd-findings', d.findings === undefined ? h('p', null, 'No findings on this server.') : d.findings.length === 0 ? h('p', null, 'None.') :
        h('ul', { className: 'findings' }, d.findings.map((f) => h('li', { className: `sev-${f.severity}` },
          h('strong', null, `${f.severity}: ${f.title}`), ` (${f.type}${f.status ? `, ${f.status}` : ''})`,
          f.ack_reason ? h('p', null, 'Acknowledged: ', f.ack_reason) : null,
          f.remediation ? h('p', null, 'Remediation: ', f.remediation) : null,
          f.reference ? h('p', null, 'Reference: ', f.reference) : null)))),
      d.advisories && d.advisories.length ? section('Advisories', 'd-advisories', table(['Advisory', 'Status', 'CVEs', 'Remediation'], d.advisories.map((a) =>
        [`${a.id}${a.title ? ` ${a.title}` : ''}`, a.status ?? '', (a.cves ?? []).map((cv) => `${cv.id}${cv.cvss !== undefined ? ` (${cv.cvss})` : ''}`).join(', '), a.remediation ?? '']))) : null,
      section('Addresses over time', 'd-addresses', d.ips.length ? table(['Address', 'Learnt from', 'First seen', 'Last seen', 'DHCP lease'], d.ips.map((a) =>
        [a.ip, a.sources.join(', '), time(a.first_seen), time(a.last_seen), a.dhcp_lease_seconds === null ? '—' : `${a.dhcp_lease_seconds} s`])) : h('p', null, 'None.')),
      section('Services', 'd-services', d.services.length ? table(['Transport', 'Port', 'Conversations', 'First seen', 'Last seen'], d.services.map((s) =>
        [s.transport, String(s.port), count(s.flows), time(s.first_seen), time(s.last_seen)])) : h('p', null, 'None.')),
      section('Peers', 'd-peers', d.peers.length ? table(['Role', 'Local', 'Peer', 'Transport/port', 'TLS', 'Sent', 'Received', 'Last seen'], d.peers.map((p) =>
        [p.role, p.local_ip, deviceLink(p.peer_device_id, p.peer_ip), `${p.transport}/${p.port}`, p.tls ? 'yes' : 'no',
          `${count(p.packets_sent)} (${bytes(p.bytes_sent)})`, `${count(p.packets_received)} (${bytes(p.bytes_received)})`, time(p.last_seen)])) : h('p', null, 'None.')),
      section('Evidence', 'd-evidence', evidenceTable(d.evidence, 'What the device said on the wire')),
      section('Events', 'd-events', timeline));
    loading(timeline, 'events');
    get<{ items: AuscultEvent[] }>('/api/v1/events', { device_id: d.id, limit: 500 }).then((r) => {
      render(timeline, r.items.length === 0 ? h('p', null, 'None.') : h('ol', { className: 'timeline' }, r.items.map((e) =>
        h('li', null, h('time', { datetime: e.time }, time(e.time)), ' ', h('span', { className: `sev-${e.severity}` }, e.severity), ` ${e.type}: `, e.summary))));
    }, (err) => failed(timeline, 'Events', err));
  }, (err) => {
    render(main, h('h1', null, `Device ${id}`));
    const p = h('div', null);
    main.append(p);
    failed(p, 'Device', err);
  });
  return () => {};
}
