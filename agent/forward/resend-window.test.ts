/**
 * Why plain TCP needs the resend window, deterministically (the real-rsyslog test, rsyslog.test.ts,
 * shows it against a killed rsyslog, where how much is lost depends on timing). A receiver in the test
 * keeps 20 of the 50 messages a forwarder writes, reads the other 30 and drops the connection without
 * keeping them, as a receiver killed with them in its buffers would: TCP accepted every byte, so the
 * forwarder stored position 50. The next connection (a reconnect, or auscult started again) sends the
 * last `resendWindow` events before the position again: without it those 30 are gone for good.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ForwardPositions } from '../store/forward-positions.js';
import { Store } from '../store/store.js';
import { lossyReceiver } from '../testing/lossy-receiver.js';
import { sampleEvent } from '../testing/memory-event-log.js';
import { syslogDestination } from './destination.js';
import { forward } from './forwarder.js';

const work = mkdtempSync(join(tmpdir(), 'auscult-resend-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const externalId = (msg: string): string => /externalId=(\S+)/.exec(msg)?.[1] ?? '';
const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `evt-test-${from + i}`);

async function lossThenReconnect(resendWindow: number) {
  const path = join(work, `window-${resendWindow}.db`);
  const store = new Store(path);
  for (let n = 1; n <= 50; n++) store.events.append(sampleEvent(n));
  const rx = await lossyReceiver(20, 50);
  const positions = ForwardPositions.open(path);
  const source = store.reader.eventSource();
  const run = () => forward({ source, positions, destination: syslogDestination({ url: `tcp://127.0.0.1:${rx.port}`, format: 'cef' }), resendWindow });
  try {
    const first = await run();
    // TCP accepted all 50: the forwarder cannot tell that 30 of them never reached the receiver's file.
    expect(first.deliveredSeq).toBe(50);
    await rx.received(50);
    expect(rx.kept.map(externalId)).toEqual(range(1, 20));
    expect(rx.lost.map(externalId)).toEqual(range(21, 50));
    for (let n = 51; n <= 60; n++) store.events.append(sampleEvent(n));
    const second = await run();
    expect(second.deliveredSeq).toBe(60);
    await rx.received(50 + Math.min(resendWindow, 50) + 10);
    expect(rx.connections).toBe(2);
    const received = new Set(rx.kept.map(externalId));
    const position = positions.get(syslogDestination({ url: `tcp://127.0.0.1:${rx.port}`, format: 'cef' }).id);
    return { missing: range(1, 60).filter((id) => !received.has(id)), resent: position.resent, sent: position.sent };
  } finally {
    await rx.close();
    positions.close();
    store.close();
  }
}

describe('the TCP resend window', () => {
  it('without it, what sat in the receiver\'s buffers is lost for good', async () => {
    const { missing, resent } = await lossThenReconnect(0);
    expect(missing).toEqual(range(21, 50));
    expect(resent).toBe(0);
  });

  it('a window as large as the loss sends every lost event again (duplicates carry the same id)', async () => {
    const { missing, resent, sent } = await lossThenReconnect(1000);
    expect(missing).toEqual([]);
    expect(resent).toBe(50);
    expect(sent).toBe(50 + 50 + 10);
  });

  it('a window smaller than the loss recovers only the events it covers', async () => {
    const { missing, resent } = await lossThenReconnect(10);
    expect(missing).toEqual(range(21, 40));
    expect(resent).toBe(10);
  });
});
