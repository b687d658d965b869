/**
 * Inventory: the device table with the total count, server-side paging, sorting and filters, search by
 * MAC, IP or host name, column choice, and the current filter exported as CSV. The filters live in the
 * route (`#/devices?category=infusion-pump&sort=last_seen&order=desc`): a filtered view is a link.
 */
import { get, getText, type Device, type DeviceList, type Summary } from '../api.js';
import { h, link, render } from '../dom.js';
import { count, time } from '../format.js';
import { go, href } from '../router.js';
import { deviceName, failed, loading, riskBadge } from './common.js';

/** Route parameters passed to the API as they are (the API checks them and says what is wrong). */
export const FILTERS = ['vendor', 'category', 'medical', 'min_risk', 'vlan', 'seen_since', 'mac', 'ip', 'hostname'] as const;

interface Column { id: string; title: string; sort?: string; cell: (d: Device) => Node | string; default: boolean }

const COLUMNS: Column[] = [
  { id: 'id', title: 'Id', sort: 'id', cell: (d) => link(`#/device/${d.id}`, String(d.id)), default: true },
  { id: 'name', title: 'Name', cell: (d) => link(`#/device/${d.id}`, deviceName(d)), default: true },
  { id: 'mac', title: 'MAC', cell: (d) => d.mac ?? '—', default: true },
  { id: 'ip', title: 'IP', cell: (d) => d.ips.map((a) => a.ip).join(', ') || '—', default: true },
  { id: 'vendor', title: 'Vendor', sort: 'vendor', cell: (d) => d.vendor ?? d.mac_vendor ?? '—', default: true },
  { id: 'model', title: 'Model', cell: (d) => d.model ?? '—', default: true },
  { id: 'category', title: 'Category', sort: 'category', cell: (d) => d.category, default: true },
  { id: 'medical', title: 'Medical', cell: (d) => (d.medical ? 'yes' : 'no'), default: true },
  { id: 'confidence', title: 'Confidence', cell: (d) => `${d.confidence}`, default: false },
  { id: 'risk', title: 'Risk', sort: 'risk', cell: (d) => riskBadge(d.risk) as Node | string, default: true },
  { id: 'os', title: 'OS', cell: (d) => d.os ?? '—', default: false },
  { id: 'firmware', title: 'Firmware', cell: (d) => d.firmware ?? '—', default: false },
  { id: 'vlans', title: 'VLANs', cell: (d) => d.vlans.join(', ') || '—', default: false },
  { id: 'hostnames', title: 'Host names', cell: (d) => d.hostnames.map((n) => n.name).join(', ') || '—', default: false },
  { id: 'first_seen', title: 'First seen', sort: 'first_seen', cell: (d) => time(d.first_seen), default: false },
  { id: 'last_seen', title: 'Last seen', sort: 'last_seen', cell: (d) => time(d.last_seen), default: true },
];

const COLUMNS_KEY = 'auscult.columns';

function chosenColumns(): Set<string> {
  try {
    const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null') as string[] | null;
    if (Array.isArray(saved)) return new Set(saved);
  } catch {
    // fall back to the defaults
  }
  return new Set(COLUMNS.filter((c) => c.default).map((c) => c.id));
}

/** What a search box entry means: a MAC, an IP address, else a piece of a host name. */
export function searchParams(text: string): Record<string, string> {
  const t = text.trim();
  if (t === '') return {};
  if (/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$|^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(t)) return { mac: t };
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(t) || (t.includes(':') && /^[0-9a-f:.]+$/i.test(t))) return { ip: t };
  return { hostname: t };
}

export function inventoryScreen(main: HTMLElement, params: URLSearchParams): () => void {
  document.title = 'Inventory · auscult';
  const filters: Record<string, string> = {};
  for (const f of FILTERS) {
    const v = params.get(f);
    if (v !== null && v !== '') filters[f] = v;
  }
  const sort = params.get('sort') ?? '';
  const order = params.get('order') === 'desc' ? 'desc' : 'asc';
  const cursor = params.get('cursor') ?? '';
  const pageNo = Number(params.get('page') ?? '1') || 1;
  const columns = chosenColumns();

  const total = h('span', { 'data-testid': 'total', 'aria-live': 'polite' }, '…');
  const body = h('div', { className: 'table-wrap' });
  const pager = h('nav', { className: 'pager', 'aria-label': 'Pages' });
  const status = h('p', { className: 'status', role: 'status' });

  // The filter form: submitting it changes the route, which reloads the screen with the new filters.
  const field = (name: string, label: string, input: HTMLElement) => h('div', { className: 'field' }, h('label', { for: `f-${name}` }, label), input);
  const text = (name: string, type = 'text', extra: Record<string, string> = {}) =>
    h('input', { id: `f-${name}`, name, type, value: filters[name] ?? '', ...extra });
  const category = h('select', { id: 'f-category', name: 'category' }, h('option', { value: '' }, 'any'));
  const medical = h('select', { id: 'f-medical', name: 'medical' },
    h('option', { value: '' }, 'any'), h('option', { value: 'true' }, 'medical only'), h('option', { value: 'false' }, 'not medical'));
  medical.value = filters.medical ?? '';
  const search = h('input', {
    id: 'f-search', name: 'search', type: 'search', placeholder: 'MAC, IP or host name',
    value: filters.mac ?? filters.ip ?? filters.hostname ?? '',
  });
  const form = h('form', { className: 'filters', role: 'search', 'aria-label': 'Filter devices' },
    field('search', 'Search', search),
    field('vendor', 'Vendor', text('vendor')),
    field('category', 'Category', category),
    field('medical', 'Medical', medical),
    field('min_risk', 'Risk at least', text('min_risk', 'number', { min: '0', max: '100' })),
    field('vlan', 'VLAN', text('vlan', 'number', { min: '0', max: '4095' })),
    field('seen_since', 'Seen since', text('seen_since', 'datetime-local', { step: '1' })),
    h('div', { className: 'buttons' },
      h('button', { type: 'submit' }, 'Apply'),
      h('button', { type: 'button', onclick: () => go('devices') }, 'Clear'),
      h('button', { type: 'button', onclick: () => void exportCsv() }, 'Export CSV')));
  // datetime-local has no zone: the value shown is local time; the API gets it with the zone.
  if (filters.seen_since) (form.elements.namedItem('seen_since') as HTMLInputElement).value = toLocalInput(filters.seen_since);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const next: Record<string, string> = { ...searchParams(String(data.get('search') ?? '')) };
    for (const f of ['vendor', 'category', 'medical', 'min_risk', 'vlan'] as const) {
      const v = String(data.get(f) ?? '').trim();
      if (v !== '') next[f] = v;
    }
    const since = String(data.get('seen_since') ?? '');
    if (since !== '') next.seen_since = new Date(since).toISOString();
    go('devices', { ...next, sort, order: sort ? order : '' });
  });

  const chooser = h('details', { className: 'columns' }, h('summary', null, 'Columns'),
    h('fieldset', null, h('legend', null, 'Columns shown'), COLUMNS.map((c) => h('label', null,
      h('input', {
        type: 'checkbox', name: 'column', value: c.id, checked: columns.has(c.id),
        onchange: (ev: Event) => {
          const box = ev.target as HTMLInputElement;
          if (box.checked) columns.add(c.id);
          else columns.delete(c.id);
          localStorage.setItem(COLUMNS_KEY, JSON.stringify([...columns]));
          draw();
        },
      }), ` ${c.title}`))));

  render(main, h('h1', null, 'Inventory ', h('small', null, total, ' devices')), form, chooser, status, body, pager);
  loading(body, 'devices');

  // The categories of the filter come from the unfiltered summary; without a filter it is also the
  // count, so one request serves both (the server answers one request at a time).
  const everything = get<Summary>('/api/v1/summary');
  everything.then((s) => {
    for (const c of s.by_category) category.append(h('option', { value: c.category }, c.category));
    category.value = filters.category ?? '';
  }, () => {});
  (Object.keys(filters).length === 0 ? everything : get<Summary>('/api/v1/summary', filters))
    .then((s) => (total.textContent = count(s.devices)), (err) => failed(status, 'Count', err));

  let page: DeviceList | null = null;
  const draw = () => {
    if (page === null) return;
    const shown = COLUMNS.filter((c) => columns.has(c.id));
    const sortHeader = (c: Column) => {
      if (!c.sort) return c.title;
      const activeSort = sort === c.sort;
      const nextOrder = activeSort && order === 'asc' ? 'desc' : 'asc';
      return h('a', { href: href('devices', { ...filters, sort: c.sort, order: nextOrder }), 'aria-label': `${c.title}, sort ${nextOrder === 'asc' ? 'ascending' : 'descending'}` },
        c.title, activeSort ? (order === 'asc' ? ' ▲' : ' ▼') : '');
    };
    render(body, h('table', { className: 'devices' },
      h('caption', { className: 'visually-hidden' }, 'Devices'),
      h('thead', null, h('tr', null, shown.map((c) => h('th', { scope: 'col', 'aria-sort': sort === c.sort ? (order === 'asc' ? 'ascending' : 'descending') : null }, sortHeader(c))))),
      h('tbody', null, page.items.map((d) => h('tr', { 'data-device': d.id }, shown.map((c) => h('td', null, c.cell(d))))))));
    render(pager,
      pageNo > 1 ? h('button', { type: 'button', onclick: () => history.back() }, '← Previous') : null,
      h('span', null, ` Page ${pageNo} `),
      page.next_cursor ? h('a', { href: href('devices', { ...filters, sort, order: sort ? order : '', cursor: page.next_cursor, page: pageNo + 1 }) }, 'Next →') : null);
  };

  const query = { ...filters, limit: 100, cursor, ...(sort ? { sort, order } : {}) };
  get<DeviceList>('/api/v1/devices', query).then((p) => {
    page = p;
    status.textContent = p.items.length === 0 ? 'No device matches these filters.' : '';
    draw();
  }, (err) => failed(body, 'Devices', err));

  async function exportCsv(): Promise<void> {
    try {
      const blob = await getText('/api/v1/export/devices', { ...filters, format: 'csv' }, 'text/csv');
      const a = h('a', { href: URL.createObjectURL(blob), download: 'auscult-devices.csv' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      failed(status, 'Export', err);
    }
  }
  return () => {};
}

function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
