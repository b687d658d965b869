/**
 * Splunk cannot run here: these tests forward to a server in the test that follows Splunk's
 * documented HTTP Event Collector contract (token header, stacked JSON events, code 0 on success,
 * channel header and ackId with indexer acknowledgement, POST /services/collector/ack answering
 * `{"acks":{"<id>":bool}}`). The server fails requests and withholds acknowledgements on purpose:
 * every event id still arrives, and the position only moves once the events were acknowledged.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardPositions } from '../store/forward-positions.js';
import { MemoryEventLog, sampleEvent } from '../testing/memory-event-log.js';
import { hecDestination } from './destination.js';
import { forward, ReceiverUnreachable } from './forwarder.js';

const TOKEN = '7f1c1c6e-0000-4000-8000-00000000abcd';

interface Hec {
  url: string;
  indexed: string[];
  /** Requests to fail with 503 before answering normally. */
  failNext: number;
  /** Acks answered false this many times before true. */
  ackDelay: number;
  ackPolls: number;
  server: Server;
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const c of req) text += (c as Buffer).toString();
  return text;
}

async function startHec(ack: boolean): Promise<Hec> {
  const hec: Hec = { url: '', indexed: [], failNext: 0, ackDelay: 0, ackPolls: 0, server: createServer() };
  const pending = new Map<number, string[]>();
  const acked = new Map<number, number>();
  let nextAck = 0;
  hec.server.on('request', (req, res) => {
    void (async () => {
      const reply = (status: number, json: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      };
      const text = await body(req);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/services/collector/health') return reply(200, { text: 'HEC is healthy', code: 17 });
      if (req.headers.authorization !== `Splunk ${TOKEN}`) return reply(401, { text: 'Invalid authorization', code: 3 });
      if (hec.failNext > 0) {
        hec.failNext--;
        return reply(503, { text: 'Server is busy', code: 9 });
      }
      const channel = req.headers['x-splunk-request-channel'];
      if (path === '/services/collector/event') {
        if (ack && typeof channel !== 'string') return reply(400, { text: 'Data channel is missing', code: 10 });
        // Stacked JSON objects: each must parse and carry an event.
        const ids: string[] = [];
        for (const line of text.split('\n')) {
          const e = JSON.parse(line) as { time: number; host: string; sourcetype: string; event: { id: string } };
          expect(typeof e.time).toBe('number');
          ids.push(e.event.id);
        }
        if (!ack) {
          hec.indexed.push(...ids);
          return reply(200, { text: 'Success', code: 0 });
        }
        const id = nextAck++;
        pending.set(id, ids);
        return reply(200, { text: 'Success', code: 0, ackId: id });
      }
      if (path === '/services/collector/ack') {
        hec.ackPolls++;
        const { acks } = JSON.parse(text) as { acks: number[] };
        const out: Record<string, boolean> = {};
        for (const id of acks) {
          const seen = (acked.get(id) ?? 0) + 1;
          acked.set(id, seen);
          const done = pending.has(id) && seen > hec.ackDelay;
          if (done) {
            hec.indexed.push(...pending.get(id)!);
            pending.delete(id);
          }
          out[String(id)] = done;
        }
        return reply(200, { acks: out });
      }
      reply(404, { text: 'not found', code: 404 });
    })();
  });
  await new Promise<void>((r) => hec.server.listen(0, '127.0.0.1', r));
  hec.url = `http://127.0.0.1:${(hec.server.address() as { port: number }).port}`;
  return hec;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

function outbox(): ForwardPositions {
  const dir = mkdtempSync(join(tmpdir(), 'auscult-hec-'));
  const p = ForwardPositions.open(join(dir, 'outbox.db'));
  cleanup.push(async () => {
    p.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return p;
}

describe('Splunk HEC forwarding', () => {
  it('with acknowledgement: every event arrives through failures, the position moves only once acknowledged', async () => {
    const hec = await startHec(true);
    cleanup.push(() => new Promise((r) => hec.server.close(() => r())));
    hec.failNext = 2;
    hec.ackDelay = 2;
    const log = new MemoryEventLog();
    log.append(Array.from({ length: 1200 }, (_, i) => sampleEvent(i + 1)));
    const positions = outbox();
    const dest = hecDestination({ url: `${hec.url}/services/collector/event`, token: TOKEN, ack: true });
    const r = await forward({ source: log, positions, destination: dest, backoffMs: [10, 50], batchSize: 500 });
    expect(r.deliveredSeq).toBe(1200);
    expect(new Set(hec.indexed).size).toBe(1200);
    expect(hec.ackPolls).toBeGreaterThanOrEqual(3 * 3);
    expect(positions.get(dest.id).deliveredSeq).toBe(1200);
    expect(dest.id).not.toContain(TOKEN);
  });

  it('a wrong token stays unreachable: --once gives up with the reason, the position does not move', async () => {
    const hec = await startHec(false);
    cleanup.push(() => new Promise((r) => hec.server.close(() => r())));
    const log = new MemoryEventLog();
    log.append([sampleEvent(1)]);
    const positions = outbox();
    const dest = hecDestination({ url: hec.url, token: 'wrong', ack: false });
    await expect(forward({ source: log, positions, destination: dest, backoffMs: [5, 10], maxAttempts: 3 })).rejects.toThrow(ReceiverUnreachable);
    await expect(forward({ source: log, positions, destination: dest, backoffMs: [5, 10], maxAttempts: 3 })).rejects.toThrow(/401: Invalid authorization/);
    expect(positions.get(dest.id).deliveredSeq).toBe(0);
  });

  it('restarts resume from the stored position; retention drops before delivery are counted', async () => {
    const hec = await startHec(false);
    cleanup.push(() => new Promise((r) => hec.server.close(() => r())));
    const log = new MemoryEventLog();
    const positions = outbox();
    const dest = hecDestination({ url: hec.url, token: TOKEN });
    log.append(Array.from({ length: 10 }, (_, i) => sampleEvent(i + 1)));
    await forward({ source: log, positions, destination: dest });
    log.append(Array.from({ length: 10 }, (_, i) => sampleEvent(i + 11)));
    // Retention drops 11..15 before the destination had them: counted, and the position moves past them.
    positions.recordRetention(15, (a, b) => log.countBetween(a, b));
    log.dropThrough(15);
    const r = await forward({ source: log, positions, destination: hecDestination({ url: hec.url, token: TOKEN }) });
    expect(r.sent).toBe(5);
    expect(hec.indexed).toEqual([...Array.from({ length: 10 }, (_, i) => `evt-test-${i + 1}`), ...Array.from({ length: 5 }, (_, i) => `evt-test-${i + 16}`)]);
    expect(positions.get(dest.id)).toMatchObject({ deliveredSeq: 20, dropped: 5 });
  });
});
