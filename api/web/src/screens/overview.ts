/** Overview: devices by category, medical devices, risk, findings by type, capture health, latest events. */
import { get, type AuscultEvent, type Finding, type Health, type Summary } from '../api.js';
import { h, link, render, table } from '../dom.js';
import { count, time } from '../format.js';
import { href } from '../router.js';
import { deviceLink, failed, loading, section } from './common.js';

export function overviewScreen(main: HTMLElement): () => void {
  document.title = 'Overview · auscult';
  const devices = h('div', { className: 'panel' });
  const risk = h('div', { className: 'panel' });
  const findings = h('div', { className: 'panel' });
  const health = h('div', { className: 'panel' });
  const events = h('div', { className: 'panel' });
  render(main,
    h('h1', null, 'Overview'),
    h('div', { className: 'grid' },
      section('Devices', 'ov-devices', devices),
      section('Capture', 'ov-capture', health),
      section('Risk', 'ov-risk', risk),
      section('Findings by type', 'ov-findings', findings),
    ),
    section('Latest events', 'ov-events', events));
  for (const el of [devices, risk, findings, health, events]) loading(el, 'data');

  get<Summary>('/api/v1/summary').then((s) => {
    render(devices,
      h('p', { className: 'big' }, h('span', { 'data-testid': 'device-total' }, count(s.devices)), ' devices, ', link(href('devices', { medical: true }), `${count(s.medical)} medical`)),
      table(['Category', 'Devices'], s.by_category.map((c) => [link(href('devices', { category: c.category }), c.category), count(c.devices)]), 'Devices by category'));
    const levels = (s as Summary & { risk_levels?: Record<string, number> }).risk_levels;
    if (levels) render(risk, table(['Level', 'Devices'], Object.entries(levels).map(([l, n]) => [l, count(n)]), 'Devices by risk level'));
    else render(risk, h('p', null, 'No risk scores on this server.'));
  }, (err) => failed(devices, 'Devices', err));

  get<{ items: Finding[] }>('/api/v1/findings', { limit: 1000 }).then((r) => {
    const byType = new Map<string, number>();
    for (const f of r.items) byType.set(f.type, (byType.get(f.type) ?? 0) + 1);
    render(findings, byType.size === 0 ? h('p', null, 'No findings.') : table(['Type', 'Findings'], [...byType].sort((a, b) => b[1] - a[1]).map(([t, n]) => [t, count(n)])));
  }, (err) => failed(findings, 'Findings', err));

  const loadHealth = () => get<Health>('/health').then((hl) => {
    const i = hl.last_ingest;
    render(health, i === null ? h('p', null, 'Nothing captured yet.') : table(['', ''], [
      ['Source', `${i.kind} ${i.source}`],
      ['Status', i.status],
      ['Frames', count(i.frames)],
      ['Drops (kernel / interface)', `${count(i.kernel_drops)} / ${count(i.interface_drops)}`],
      ['Malformed', count(i.malformed)],
      ['Last packet', time(i.last_packet_at)],
      ['Updated', time(i.updated_at)],
    ]));
  }, (err) => failed(health, 'Capture health', err));

  // The API gives the newest first (order=desc): the ten latest, not the ten oldest.
  const loadEvents = () => get<{ items: AuscultEvent[] }>('/api/v1/events', { limit: 10, order: 'desc' }).then((r) => {
    render(events, r.items.length === 0 ? h('p', null, 'No events.') : table(['Time', 'Severity', 'Type', 'Device', 'Summary'],
      r.items.map((e) => [time(e.time), e.severity, e.type, deviceLink(e.device_id, e.device_id === null ? '—' : `#${e.device_id}`), e.summary])),
      link(href('events'), 'All events'));
  }, (err) => failed(events, 'Events', err));

  void loadHealth();
  void loadEvents();
  const timer = setInterval(() => {
    void loadHealth();
    void loadEvents();
  }, 10_000);
  return () => clearInterval(timer);
}
