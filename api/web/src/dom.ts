/**
 * Building the page without HTML strings: every string becomes a text node or an attribute value set
 * through the DOM, so a host name `<script>alert(1)</script>` from the wire shows as those characters.
 * Nothing in the page assigns innerHTML.
 */
export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  [name: string]: string | number | boolean | null | undefined | EventListener | ((ev: never) => void);
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value as EventListener);
      else if (name === 'className') el.className = String(value);
      else if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
      else if (name === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = Boolean(value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replace the children of `el`. */
export function render(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A link inside the page (hash routes, so every screen can be bookmarked and shared). */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href }, ...children);
}

/** A definition list of label/value pairs, skipping empty values. */
export function facts(rows: [string, Child][]): HTMLDListElement {
  return h('dl', { className: 'facts' }, rows.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

export function table(headers: string[], rows: Child[][], caption?: string): HTMLTableElement {
  return h('table', null,
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))));
}
