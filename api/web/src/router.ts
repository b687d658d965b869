/** Hash routes: `#/devices?vendor=Philips`, `#/device/12`, `#/map?medical=true`: bookmarkable and shareable. */
export interface Route {
  path: string[];
  params: URLSearchParams;
}

export function current(): Route {
  const raw = location.hash.replace(/^#\/?/, '');
  const [p, q = ''] = raw.split('?', 2);
  return { path: p.split('/').filter((s) => s !== '').map(decodeURIComponent), params: new URLSearchParams(q) };
}

export function href(path: string, params: Record<string, string | number | boolean | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
}

export function go(path: string, params: Record<string, string | number | boolean | null | undefined> = {}): void {
  location.hash = href(path, params);
}
