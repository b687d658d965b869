/**
 * Splunk HTTP Event Collector, per Splunk's documented contract: POST the events, stacked JSON
 * objects in one body, to /services/collector/event with `Authorization: Splunk <token>`; success
 * is HTTP 200 with `{"text":"Success","code":0}`. With indexer acknowledgement the request carries a
 * channel (`X-Splunk-Request-Channel`, a GUID), the answer an `ackId`, and the events count as
 * accepted only once POST /services/collector/ack?channel=... with `{"acks":[id]}` answers
 * `{"acks":{"<id>":true}}`. The token is never logged, nor stored in the database.
 */
import { randomUUID } from 'node:crypto';
import type { Confirmation, Sender } from './sender.js';
import { sleep } from './sender.js';

export interface HecTarget {
  /** The collector's base URL (https://splunk:8088) or its event endpoint. */
  url: string;
  token: string;
  /** Wait for indexer acknowledgement before counting events accepted. */
  ack?: boolean;
  ackPollMs?: number;
  ackTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** The base URL without the endpoint path. */
export function hecBase(url: string): string {
  const u = new URL(url);
  u.pathname = u.pathname.replace(/\/services\/collector(\/event)?\/?$/, '').replace(/\/$/, '');
  u.search = '';
  return u.toString().replace(/\/$/, '');
}

export class HecSender implements Sender {
  readonly confirms: Confirmation;
  private readonly base: string;
  private readonly channel = randomUUID();

  constructor(private readonly target: HecTarget) {
    this.confirms = target.ack ? 'each' : 'written';
    this.base = hecBase(target.url);
  }

  private headers(): Record<string, string> {
    return {
      authorization: `Splunk ${this.target.token}`,
      'content-type': 'application/json',
      ...(this.target.ack ? { 'x-splunk-request-channel': this.channel } : {}),
    };
  }

  private async post(path: string, body: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.base}${path}`, {
      method: 'POST', headers: this.headers(), body, signal: AbortSignal.timeout(this.target.requestTimeoutMs ?? 30_000),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Reported below with the status.
    }
    if (res.status !== 200) throw new Error(`Splunk HEC answered ${res.status}: ${String(json.text ?? text).slice(0, 200)}`);
    return json;
  }

  /** A cheap check that the collector answers (the health endpoint needs no token). */
  async connect(): Promise<void> {
    const res = await fetch(`${this.base}/services/collector/health`, { signal: AbortSignal.timeout(this.target.requestTimeoutMs ?? 10_000) });
    await res.text();
    if (res.status >= 500) throw new Error(`Splunk HEC not healthy: ${res.status}`);
  }

  async send(messages: readonly string[]): Promise<void> {
    const answer = await this.post('/services/collector/event', messages.join('\n'));
    if (answer.code !== 0) throw new Error(`Splunk HEC refused the events: ${String(answer.text).slice(0, 200)}`);
    if (!this.target.ack) return;
    const ackId = answer.ackId;
    if (typeof ackId !== 'number') throw new Error('Splunk HEC gave no ackId: is indexer acknowledgement enabled for this token?');
    const deadline = Date.now() + (this.target.ackTimeoutMs ?? 120_000);
    for (;;) {
      const r = await this.post(`/services/collector/ack?channel=${this.channel}`, JSON.stringify({ acks: [ackId] }));
      if ((r.acks as Record<string, boolean> | undefined)?.[String(ackId)] === true) return;
      if (Date.now() > deadline) throw new Error(`Splunk HEC did not acknowledge ackId ${ackId} in time`);
      await sleep(this.target.ackPollMs ?? 500);
    }
  }

  async close(): Promise<void> {}

  destroy(): void {}
}
