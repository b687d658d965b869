/**
 * `npm run screenshots`: the web page's screens as PNGs for README (api/web/screenshots/), from an
 * inventory of the bundled captures, in Debian's chromium. Not part of `npm test`: CI leaves the tree
 * clean. Run it after changing a screen and commit the images.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../agent/config.js';
import { startServer } from '../server.js';
import { createToken, fixtureInventory, launchChromium, newContext, signIn } from './web-browser.js';

const SHOTS: { file: string; route: string; ready: string }[] = [
  { file: 'overview.png', route: '#/', ready: '[data-testid="device-total"]' },
  { file: 'inventory.png', route: '#/devices?sort=risk&order=desc', ready: 'table.devices tbody tr' },
  { file: 'device.png', route: '#/device/DICOM', ready: 'section[aria-labelledby="d-why"]' },
  { file: 'map.png', route: '#/map?medical=true', ready: '#map[data-nodes]' },
  { file: 'events.png', route: '#/events', ready: 'table.events' },
];

async function main(): Promise<void> {
  const out = join(packageRoot(), 'api', 'web', 'screenshots');
  mkdirSync(out, { recursive: true });
  const db = join(mkdtempSync(join(tmpdir(), 'auscult-shots-')), 'inventory.db');
  fixtureInventory(db);
  const token = createToken(db, 'screenshots', 'read,export');
  const server = await startServer({ dbPath: db, host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, server.url, token);
    await page.waitForSelector('[data-testid="device-total"]');
    // The device shown: one identified from DICOM (the page's reasons at their richest).
    const list = await page.evaluate(async (t) => (await fetch('/api/v1/devices?limit=1000', { headers: { authorization: `Bearer ${t}` } })).json(), token) as
      { items: { id: number; evidence: Record<string, unknown>; vendor: string | null }[] };
    const dicom = list.items.find((d) => 'dicom' in d.evidence && d.vendor !== null) ?? list.items[0];
    for (const s of SHOTS) {
      await page.goto(`${server.url}/${s.route.replace('DICOM', String(dicom.id))}`);
      await page.waitForSelector(s.ready, { timeout: 30_000 });
      await page.waitForTimeout(800);
      await page.screenshot({ path: join(out, s.file), fullPage: s.file === 'overview.png' || s.file === 'device.png' });
      console.log(`api/web/screenshots/${s.file}`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
