/**
 * The fixture database (fixture-db.ts) behind the test app (test-app.ts) for the tests of one file:
 * opened before them, closed after them.
 *
 *   let reader: StoreReader;
 *   let t: TestApp;
 *   withFixtureApp((r, app) => ([reader, t] = [r, app]), { version: '9.9.9-test' });
 */
import { afterAll, beforeAll } from 'vitest';
import { StoreReader } from '../../agent/store/reader.js';
import { buildFixtureDatabase } from './fixture-db.js';
import { testApp, type TestApp } from './test-app.js';

export function withFixtureApp(use: (reader: StoreReader, t: TestApp) => void, opts: Parameters<typeof testApp>[1] = {}): void {
  let reader: StoreReader | undefined;
  let t: TestApp | undefined;
  beforeAll(async () => {
    reader = StoreReader.open(buildFixtureDatabase());
    t = await testApp(reader, opts);
    use(reader, t);
  });
  afterAll(async () => {
    await t?.close();
    reader?.close();
  });
}
