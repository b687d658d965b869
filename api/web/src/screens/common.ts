/** Pieces the screens share: loading states, errors, device labels. */
import { ApiError, type Device } from '../api.js';
import { h, link, render, type Child } from '../dom.js';
import { riskColour } from '../format.js';

export function loading(el: HTMLElement, what: string): void {
  render(el, h('p', { className: 'loading', role: 'status' }, `Loading ${what}…`));
}

/** An API error inside a panel: the reason, and for a route this server lacks, say so plainly. */
export function failed(el: HTMLElement, what: string, err: unknown): void {
  const status = err instanceof ApiError ? err.status : 0;
  const reason = status === 404 ? 'this server does not offer it' : status === 403 ? 'the token lacks the scope for it' : (err as Error).message;
  render(el, h('p', { className: 'error', role: 'alert' }, `${what}: ${reason}`));
}

export function deviceName(d: Pick<Device, 'id' | 'hostnames' | 'vendor' | 'model' | 'mac' | 'ips'>): string {
  return d.hostnames[0]?.name ?? ([d.vendor, d.model].filter(Boolean).join(' ') || d.ips[0]?.ip || d.mac || `device ${d.id}`);
}

export function deviceLink(id: number | null, text: Child): Child {
  return id === null ? text : link(`#/device/${id}`, text);
}

export function riskBadge(risk: Device['risk']): Child {
  if (!risk) return '—';
  const badge = h('span', { className: `badge risk-${risk.level}` }, `${risk.score} ${risk.level}`);
  badge.style.setProperty('--badge', riskColour(risk.level));
  return badge;
}

export function section(title: string, id: string, ...children: Child[]): HTMLElement {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}
