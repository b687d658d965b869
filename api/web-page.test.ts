/**
 * The web page end to end in a real browser: Playwright (playwright-core) driving Debian's chromium
 * (never a downloaded browser) against `auscult serve` over a database made from the bundled captures.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason, toolMissing } from '../agent/testing/tools.js';
import { startServer, type RunningServer } from './server.js';
import { createTestToken } from './testing/test-app.js';
import { fixtureCapture, fixtureInventory, launchChromium, newContext, readCaptures, signIn } from './testing/web-browser.js';

const skip = skipReason('web page end-to-end tests', toolMissing('chromium'));
const HOSTILE = '<script>alert(1)</script>';
/** Read into the database while the Events screen is open: the events it adds must appear on top. */
const LATE_CAPTURE = 'events-arpspoof.pcap';

interface EventItem { seq: number; type: string; summary: string }
interface Device { id: number; vendor: string | null; category: string; confidence: number; evidence: Record<string, unknown>; hostnames: { name: string }[]; classification: Record<string, { signatures?: { matched: { path: string }[] }[] }> | null }

describe.skipIf(skip !== undefined)('the web page in chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let token: string;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status, path).toBe(200);
    return (await r.json()) as T;
  };
  const allDevices = async (query = ''): Promise<Device[]> => {
    const out: Device[] = [];
    let cursor = '';
    for (;;) {
      const r = await api<{ items: Device[]; next_cursor: string | null }>(`/api/v1/devices?limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`);
      out.push(...r.items);
      if (r.next_cursor === null) return out;
      cursor = r.next_cursor;
    }
  };

  let db: string;

  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), 'auscult-web-')), 'inventory.db');
    fixtureInventory(db, [LATE_CAPTURE]);
    token = createTestToken(db, ['read', 'export']);
    server = await startServer({ dbPath: db, host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    page = await (await newContext(browser)).newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Console errors (a CSP violation is one), except the status lines of API responses: those the
    // screens show, and the tests check the screens.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refuses a wrong token and says so', async () => {
    await signIn(page, server.url, 'auscult_not-a-token');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/refused this token: the API token is unknown, revoked or expired/);
    expect(await page.getByLabel('API token').count()).toBe(1);
    const keep = await page.evaluate('sessionStorage.length');
    expect(keep).toBe(0);
  }, 60_000);

  it('signs in with an API token', async () => {
    await signIn(page, server.url, token);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    const total = (await api<{ devices: number }>('/api/v1/summary')).devices;
    await expect.poll(() => page.getByTestId('device-total').textContent()).toBe(total.toLocaleString('en'));
  }, 60_000);

  it('shows as many devices as the API, and a filter narrows them', async () => {
    const all = await allDevices();
    await page.goto(`${server.url}/#/devices`);
    await expect.poll(() => page.getByTestId('total').textContent()).toBe(String(all.length));
    // The count and the table come from two requests: wait for the table too.
    await expect.poll(() => page.locator('table.devices tbody tr').count()).toBe(Math.min(100, all.length));

    // The most common category other than unknown: fewer rows, each of that category.
    const counts = new Map<string, number>();
    for (const d of all) counts.set(d.category, (counts.get(d.category) ?? 0) + 1);
    const [category, n] = [...counts].filter(([c]) => c !== 'unknown').sort((a, b) => b[1] - a[1])[0];
    expect(n).toBeLessThan(all.length);
    await page.getByRole('search').getByLabel('Category').selectOption(category);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.getByTestId('total').textContent()).toBe(String(n));
    await expect.poll(() => page.locator('table.devices tbody tr').count()).toBe(n);
    expect(page.url()).toContain(`category=${category}`);
    const ids = (await page.locator('table.devices tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-device'))))).sort((a, b) => a - b);
    expect(ids).toEqual(all.filter((d) => d.category === category).map((d) => d.id));
  }, 60_000);

  it('shows a DICOM device with vendor, category, confidence and the DICOM evidence behind them', async () => {
    const dicom = (await allDevices()).find((d) => d.vendor !== null && 'dicom' in d.evidence &&
      Object.values(d.classification ?? {}).some((f) => f?.signatures?.some((s) => s.matched.some((m) => m.path.startsWith('dicom.')))));
    expect(dicom).toBeDefined();
    const d = dicom as Device;
    await page.goto(`${server.url}/#/device/${d.id}`);
    const identity = page.locator('section[aria-labelledby="d-identity"]');
    await expect.poll(() => identity.textContent()).toContain(d.vendor as string);
    expect(await identity.textContent()).toContain(d.category);
    expect(await page.getByTestId('confidence').textContent()).toBe(String(d.confidence));
    const why = await page.locator('section[aria-labelledby="d-why"]').textContent();
    expect(why).toMatch(/dicom\.[a-z_]+ = /);
    expect(await page.locator('section[aria-labelledby="d-evidence"]').textContent()).toContain('dicom');
  }, 60_000);

  it('shows a non-ASCII name as its characters (the API writes it as a \\u escape)', async () => {
    const r = await fetch(`${server.url}/api/v1/devices?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
    const body = Buffer.from(await r.arrayBuffer()).toString('latin1');
    expect(body).toContain('"vendor":"Dr\\u00e4ger"');
    expect(body).not.toMatch(/[^\x20-\x7e]/);
    const drager = (await allDevices()).find((d) => d.vendor === 'Dräger');
    expect(drager, 'a fixture capture identifies a Dräger device').toBeDefined();
    await page.goto(`${server.url}/#/device/${(drager as Device).id}`);
    await expect.poll(() => page.locator('section[aria-labelledby="d-identity"]').textContent()).toContain('Dräger');
    await page.goto(`${server.url}/#/devices?vendor=${encodeURIComponent('Dräger')}`);
    await expect.poll(() => page.locator('table.devices tbody').textContent()).toContain('Dräger');
  }, 60_000);

  it('draws the map with one node per device of the graph', async () => {
    const graph = await api<{ nodes: unknown[]; edges: unknown[] }>('/api/v1/graph');
    await page.goto(`${server.url}/#/map`);
    await expect.poll(() => page.locator('#map').getAttribute('data-nodes'), { timeout: 30_000 }).toBe(String(graph.nodes.length));
    expect(await page.locator('#map').getAttribute('data-edges')).toBe(String(graph.edges.length));
    expect(await page.locator('#map canvas').count()).toBeGreaterThan(0);
    // Cytoscape keeps its instance on the container: the nodes it drew.
    const drawn = await page.locator('#map').evaluate((el) => (el as unknown as { _cyreg?: { cy?: { nodes(s: string): { length: number } } } })._cyreg?.cy?.nodes('.device').length);
    expect(drawn).toBe(graph.nodes.length);
  }, 60_000);

  it('renders a hostile host name from the wire as text, and runs no script from it', async () => {
    const hostile = (await allDevices()).find((d) => d.hostnames.some((h) => h.name === HOSTILE));
    expect(hostile, 'hostile-html.pcap: lldpd announced <script>alert(1)</script>').toBeDefined();
    await page.goto(`${server.url}/#/device/${(hostile as Device).id}`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(HOSTILE);
    expect(await page.locator('main').textContent()).toContain('IntelliVue <img src=x onerror=alert(2)>');
    // Only the page's own script; no element made from the names.
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('main img, main svg').count()).toBe(0);
    const svg = (await allDevices()).find((d) => d.hostnames.some((h) => h.name.includes('<svg onload=alert(3)>')));
    expect(svg, 'hostile-html.pcap: avahi-daemon announced ws-"><svg onload=alert(3)>').toBeDefined();
    await page.goto(`${server.url}/#/device/${(svg as Device).id}`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('"><svg onload=alert(3)>');
    expect(await page.locator('main img, main svg').count()).toBe(0);
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('shows the latest events on the overview and the Events screen newest first, and follows new ones', async () => {
    const newest = await api<{ items: EventItem[] }>('/api/v1/events?order=desc&limit=10');
    expect(newest.items.length).toBe(10);
    const maxSeq = (await api<{ items: EventItem[] }>('/api/v1/events?order=desc&limit=1')).items[0].seq;
    expect(newest.items[0].seq).toBe(maxSeq);
    await page.goto(`${server.url}/#/`);
    const overviewRows = page.locator('section[aria-labelledby="ov-events"] tbody tr');
    await expect.poll(() => overviewRows.count()).toBe(10);
    const cells = await overviewRows.evaluateAll((rows) => rows.map((r) => r.lastElementChild?.textContent));
    expect(cells).toEqual(newest.items.map((e) => e.summary));

    await page.goto(`${server.url}/#/events`);
    const rows = page.locator('table.events tbody tr');
    const seqs = () => rows.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-seq'))));
    await expect.poll(async () => (await seqs())[0]).toBe(maxSeq);
    const shown = await seqs();
    expect(shown).toEqual([...shown].sort((a, b) => b - a));

    // A capture adds to the database while the screen is open: its events come on top, still newest first.
    readCaptures(db, [fixtureCapture(LATE_CAPTURE)]);
    const added = await api<{ items: EventItem[] }>(`/api/v1/events?since=${maxSeq}&limit=1000`);
    expect(added.items.map((e) => e.type)).toContain('arp.conflict');
    const top = added.items[added.items.length - 1].seq;
    await expect.poll(async () => (await seqs())[0], { timeout: 15_000 }).toBe(top);
    const after = await seqs();
    expect(after).toEqual([...after].sort((a, b) => b - a));
    expect(after.length).toBe(shown.length + added.items.length);
    expect(await page.locator('table.events tbody tr[data-seq]').first().textContent()).toContain(added.items[added.items.length - 1].summary);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
