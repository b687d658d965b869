/** Times with their zone, sizes and counts as people read them. */
const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short',
});

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : timeFormat.format(ms);
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en');
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Colour of a category family (the map and the legend). */
export function categoryColour(category: string, medical: boolean): string {
  if (category === 'unknown') return '#9aa0a6';
  if (category.startsWith('imaging-')) return '#8e44ad';
  if (/pump|ventilator|monitor|anesthesia|dialysis|defib/.test(category)) return '#c0392b';
  if (medical) return '#d35400';
  if (/switch|router|firewall|access-point|network/.test(category)) return '#2c7be5';
  if (/printer|phone|camera/.test(category)) return '#16a085';
  return '#34495e';
}

export function riskColour(level: string | null | undefined): string {
  switch (level) {
    case 'critical': return '#8b0000';
    case 'high': return '#c0392b';
    case 'medium': return '#e67e22';
    case 'low': return '#f1c40f';
    default: return '#9aa0a6';
  }
}
