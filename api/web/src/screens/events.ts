/** Events: the feed with filters (type, minimum severity, device), updating while a capture runs. */
import { get, type AuscultEvent } from '../api.js';
import { h, render } from '../dom.js';
import { time } from '../format.js';
import { go } from '../router.js';
import { deviceLink, failed } from './common.js';

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
const POLL_MS = 5_000;
const PAGE = 500;

interface EventPage { items: AuscultEvent[]; next_since: number; next_before: number | null }

export function eventsScreen(main: HTMLElement, params: URLSearchParams): () => void {
  document.title = 'Events · auscult';
  const filter: Record<string, string> = {};
  for (const k of ['type', 'min_severity', 'device_id']) {
    const v = params.get(k);
    if (v) filter[k] = v;
  }
  const status = h('p', { className: 'status', role: 'status', 'aria-live': 'polite' });
  const list = h('tbody', null);
  const form = h('form', { className: 'filters', role: 'search', 'aria-label': 'Filter events' },
    h('div', { className: 'field' }, h('label', { for: 'e-type' }, 'Type'), h('input', { id: 'e-type', name: 'type', value: filter.type ?? '', placeholder: 'e.g. device.new' })),
    h('div', { className: 'field' }, h('label', { for: 'e-sev' }, 'Severity at least'),
      h('select', { id: 'e-sev', name: 'min_severity' }, h('option', { value: '' }, 'any'), SEVERITIES.map((s) => h('option', { value: s, selected: filter.min_severity === s }, s)))),
    h('div', { className: 'field' }, h('label', { for: 'e-dev' }, 'Device id'), h('input', { id: 'e-dev', name: 'device_id', type: 'number', min: '1', value: filter.device_id ?? '' })),
    h('div', { className: 'buttons' }, h('button', { type: 'submit' }, 'Apply'), h('button', { type: 'button', onclick: () => go('events') }, 'Clear')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    go('events', Object.fromEntries([...data].map(([k, v]) => [k, String(v).trim()])));
  });
  const older = h('button', { type: 'button', hidden: true }, 'Show older events');
  render(main, h('h1', null, 'Events'), form, status,
    h('table', { className: 'events' }, h('caption', { className: 'visually-hidden' }, 'Events, newest first'),
      h('thead', null, h('tr', null, ['Time', 'Severity', 'Type', 'Device', 'Summary'].map((t) => h('th', { scope: 'col' }, t)))), list),
    h('p', null, older));

  const row = (e: AuscultEvent) => h('tr', { 'data-seq': e.seq }, h('td', null, h('time', { datetime: e.time }, time(e.time))), h('td', { className: `sev-${e.severity}` }, e.severity),
    h('td', null, e.type), h('td', null, deviceLink(e.device_id, e.device_id === null ? '—' : `#${e.device_id}`)), h('td', null, e.summary));

  // The newest page first (order=desc), then follow the feed after it: new events go on top. Older
  // pages come on demand (before=next_before), so a long feed does not load whole.
  let since: number | null = null;
  let before: number | null = null;
  let shown = 0;
  let stopped = false;
  const say = () => {
    status.textContent = `${shown} events shown, newest first${before === null ? '' : ' (older ones below)'}; following the feed.`;
  };
  const poll = async (): Promise<void> => {
    try {
      if (since === null) {
        const r = await get<EventPage>('/api/v1/events', { ...filter, order: 'desc', limit: PAGE });
        list.append(...r.items.map(row));
        shown += r.items.length;
        since = r.next_since;
        before = r.next_before;
      }
      for (;;) {
        const r: EventPage = await get<EventPage>('/api/v1/events', { ...filter, since, limit: PAGE });
        for (const e of r.items) list.prepend(row(e));
        shown += r.items.length;
        since = r.next_since;
        if (r.items.length < PAGE) break;
      }
      older.hidden = before === null;
      say();
    } catch (err) {
      failed(status, 'Events', err);
    }
    if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
  };
  older.addEventListener('click', () => {
    if (before === null) return;
    older.disabled = true;
    get<EventPage>('/api/v1/events', { ...filter, order: 'desc', before, limit: PAGE }).then((r) => {
      list.append(...r.items.map(row));
      shown += r.items.length;
      before = r.next_before;
      older.hidden = before === null;
      say();
    }, (err) => failed(status, 'Events', err)).finally(() => {
      older.disabled = false;
    });
  });
  let timer = setTimeout(() => void poll(), 0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
