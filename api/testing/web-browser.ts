/**
 * Test support for the web page: an inventory made from the bundled captures, Debian's chromium driven
 * by playwright-core (never a downloaded browser), and signing in. Used by the end-to-end tests and by
 * `npm run screenshots`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../agent/config.js';

export const CHROMIUM = '/usr/bin/chromium';

function cli(args: string[]): string {
  return execFileSync(process.execPath, [join(packageRoot(), 'dist', 'agent', 'cli.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** A capture of test-fixtures/ by its file name. */
export const fixtureCapture = (name: string): string => join(packageRoot(), 'test-fixtures', name);

/** `auscult read` of every capture in test-fixtures/ but `except` into `db` (the built CLI: `npm run build` first). */
export function fixtureInventory(db: string, except: string[] = []): void {
  const dir = join(packageRoot(), 'test-fixtures');
  cli(['read', ...readdirSync(dir).filter((f) => f.endsWith('.pcap') && !except.includes(f)).map((f) => join(dir, f)), '--db', db]);
}

/** `auscult read` of captures into `db`, as a capture adding to a running server's database does. */
export function readCaptures(db: string, files: string[]): void {
  cli(['read', ...files, '--db', db]);
}

/** A new API token with these scopes (`auscult token create`): the last line of its output. */
export function createToken(db: string, name: string, scopes = 'read'): string {
  return cli(['token', 'create', '--name', name, '--scopes', scopes, '--db', db]).trim().split('\n').pop() as string;
}

export async function launchChromium(): Promise<Browser> {
  // Root in a container or CI has no user namespace sandbox for chromium; the page is our own.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A browser context as the tests and screenshots see the page: UTC, 1280 px wide. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ timezoneId: 'UTC', locale: 'en-GB', viewport: { width: 1280, height: 900 } });
}

/** Sign in on the page's own form. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
