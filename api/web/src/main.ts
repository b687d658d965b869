/**
 * The auscult web page: sign-in with an API token, then the overview, inventory, device page,
 * communication map and events, each reading the API with that token. Served by `auscult serve`/`run`.
 */
import { signIn, signOut, token, verify, whenUnauthorised } from './api.js';
import { h, render } from './dom.js';
import { current, go } from './router.js';
import { deviceScreen } from './screens/device.js';
import { eventsScreen } from './screens/events.js';
import { inventoryScreen } from './screens/inventory.js';
import { mapScreen } from './screens/map.js';
import { overviewScreen } from './screens/overview.js';

const SCREENS: { path: string; title: string }[] = [
  { path: '', title: 'Overview' },
  { path: 'devices', title: 'Inventory' },
  { path: 'map', title: 'Map' },
  { path: 'events', title: 'Events' },
];

let signInMessage = '';
/** Stops what a screen keeps running (polling, the map) when another one replaces it. */
let leaveScreen: () => void = () => {};

function signInScreen(root: HTMLElement): void {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'aria-describedby': 'token-help' });
  const error = h('p', { id: 'signin-error', className: 'error', role: 'alert' }, signInMessage);
  const form = h('form', { className: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'auscult'),
    h('p', null, 'Passive inventory of the devices on this network.'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('p', { id: 'token-help', className: 'help' }, 'A token from `auscult token create --scopes read`. It is kept for this browser session only.'),
    h('button', { type: 'submit' }, 'Sign in'),
    error);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    error.textContent = '';
    verify(t).then(() => {
      signIn(t);
      signInMessage = '';
      show();
    }, (err: Error & { status?: number }) => {
      error.textContent = err.status === 401 || err.status === 403 ? `The API refused this token: ${err.message}` : `Cannot reach the API: ${err.message}`;
    });
  });
  render(root, h('main', { id: 'main' }, form));
  input.focus();
}

function shell(root: HTMLElement): HTMLElement {
  const route = current();
  const active = route.path[0] === 'device' ? 'devices' : route.path[0] ?? '';
  const main = h('main', { id: 'main', tabIndex: -1 });
  render(root,
    h('a', { href: '#main', className: 'skip' }, 'Skip to content'),
    h('header', null,
      h('span', { className: 'brand' }, 'auscult'),
      h('nav', { 'aria-label': 'Screens' }, SCREENS.map((s) => h('a', { href: `#/${s.path}`, 'aria-current': s.path === active ? 'page' : null }, s.title))),
      h('button', { type: 'button', className: 'signout', onclick: () => doSignOut('Signed out.') }, 'Sign out')),
    main);
  return main;
}

function doSignOut(message: string): void {
  signOut();
  signInMessage = message;
  leaveScreen();
  leaveScreen = () => {};
  show();
}

function show(): void {
  const root = document.getElementById('app') as HTMLElement;
  leaveScreen();
  leaveScreen = () => {};
  if (!token()) {
    document.title = 'Sign in · auscult';
    signInScreen(root);
    return;
  }
  const main = shell(root);
  const route = current();
  const screen = route.path[0] ?? '';
  const handlers: Record<string, () => (() => void) | void> = {
    '': () => overviewScreen(main),
    devices: () => inventoryScreen(main, route.params),
    device: () => deviceScreen(main, Number(route.path[1])),
    map: () => mapScreen(main, route.params),
    events: () => eventsScreen(main, route.params),
  };
  const handler = handlers[screen];
  if (!handler) {
    render(main, h('h1', null, 'Not found'), h('p', null, 'No such screen. ', h('a', { href: '#/' }, 'Overview')));
    return;
  }
  leaveScreen = handler() ?? (() => {});
}

/** Sign out after a configurable time without keyboard or mouse activity (GET /web/config.json). */
async function idleSignOut(): Promise<void> {
  let minutes = 15;
  try {
    const res = await fetch('./web-config.json', { cache: 'no-store' });
    if (res.ok) minutes = ((await res.json()) as { idle_timeout_minutes?: number }).idle_timeout_minutes ?? minutes;
  } catch {
    // keep the default
  }
  let last = Date.now();
  for (const ev of ['keydown', 'pointerdown', 'wheel', 'touchstart']) addEventListener(ev, () => (last = Date.now()), { passive: true });
  setInterval(() => {
    if (token() && minutes > 0 && Date.now() - last > minutes * 60_000) doSignOut(`Signed out after ${minutes} minutes without activity.`);
  }, 5_000);
}

whenUnauthorised((message) => doSignOut(`The API no longer accepts this token: ${message}`));
addEventListener('hashchange', show);
if (location.hash === '') go('');
show();
void idleSignOut();
