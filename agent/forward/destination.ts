/**
 * A forwarding destination: where (a Sender), in what form (a message per event or device), and the
 * name its outbox position is stored under (never a token).
 */
import { readFileSync } from 'node:fs';
import type { Device } from '../store/device-json.js';
import type { ExportContext } from '../export/context.js';
import type { AuscultEvent } from '../export/event.js';
import { FORMATS } from '../export/formats.js';
import { originElement, syslogMessage } from '../export/syslog.js';
import { UserFacingError } from '../errors.js';
import { HecSender } from './hec.js';
import { RelpSender } from './relp.js';
import type { Sender } from './sender.js';
import { StreamSender, UdpSender } from './syslog-sender.js';

export const SYSLOG_FORMATS = ['cef', 'leef', 'json'] as const;
export type SyslogFormat = (typeof SYSLOG_FORMATS)[number];

export interface Destination {
  /** Key of its position in forward_positions, e.g. `syslog+relp://siem:2514 cef`. */
  id: string;
  sender: Sender;
  event(e: AuscultEvent, ctx: ExportContext): string;
  device(d: Device, ctx: ExportContext): string;
}

export interface SyslogOptions {
  /** udp|tcp|tls|relp://HOST:PORT */
  url: string;
  format: SyslogFormat;
  /** TLS (and RELP over TLS): PEM file of the CA the receiver's certificate must chain to. */
  caFile?: string;
}

/** A syslog destination from `--syslog URL --syslog-format F [--syslog-ca FILE]`; UserFacingError when malformed. */
export function syslogDestination(o: SyslogOptions): Destination {
  const m = /^(udp|tcp|tls|relp|relp\+tls):\/\/(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})\/?$/.exec(o.url);
  if (m === null) throw new UserFacingError(`--syslog ${o.url} is not udp|tcp|tls|relp://HOST:PORT`);
  const [, scheme, rawHost, portText] = m;
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new UserFacingError(`--syslog ${o.url}: port must be 1-65535`);
  const host = rawHost.replace(/^\[|\]$/g, '');
  const tls = scheme === 'tls' || scheme === 'relp+tls';
  let ca: Buffer | undefined;
  if (o.caFile !== undefined) {
    if (!tls) throw new UserFacingError('--syslog-ca applies to tls:// and relp+tls:// only');
    try {
      ca = readFileSync(o.caFile);
    } catch (err) {
      throw new UserFacingError(`--syslog-ca ${o.caFile}: ${(err as Error).message}`);
    }
  }
  const sender: Sender =
    scheme === 'udp' ? new UdpSender({ host, port })
      : scheme.startsWith('relp') ? new RelpSender({ host, port, tls, ca })
        : new StreamSender({ host, port, tls, ca });
  const format = FORMATS[o.format];
  return {
    id: `syslog+${scheme}://${rawHost}:${port} ${o.format}`,
    sender,
    event: (e, ctx) => syslogMessage({
      severity: e.severity, time: e.time, hostname: ctx.sensor.hostname, msgId: e.type,
      structuredData: [originElement(ctx.productVersion)], msg: format.event(e, ctx),
    }),
    device: (d, ctx) => syslogMessage({
      severity: 'info', time: d.last_seen, hostname: ctx.sensor.hostname, msgId: 'device.inventory',
      structuredData: [originElement(ctx.productVersion)], msg: format.device(d, ctx),
    }),
  };
}

export interface HecOptions {
  url: string;
  token: string;
  ack?: boolean;
}

/** A Splunk HEC destination: each event as `{ time, host, source, sourcetype, event }`. */
export function hecDestination(o: HecOptions): Destination {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new UserFacingError(`--splunk-hec ${o.url} is not a URL (https://splunk:8088)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UserFacingError(`--splunk-hec ${o.url}: http or https only`);
  if (url.username !== '' || url.password !== '') throw new UserFacingError('--splunk-hec: give the token with --splunk-token, not in the URL');
  if (o.token === '') throw new UserFacingError('--splunk-hec needs --splunk-token, $AUSCULT_SPLUNK_TOKEN or --splunk-token-file');
  const envelope = (timeIso: string, sourcetype: string, body: unknown, ctx: ExportContext): string =>
    JSON.stringify({ time: Date.parse(timeIso) / 1000, host: ctx.sensor.hostname, source: 'auscult', sourcetype, event: body });
  return {
    id: `splunk-hec ${url.origin}${url.pathname.replace(/\/$/, '')}${o.ack ? ' ack' : ''}`,
    sender: new HecSender({ url: o.url, token: o.token, ack: o.ack }),
    event: (e, ctx) => envelope(e.time, 'auscult:event', e, ctx),
    device: (d, ctx) => envelope(d.last_seen, 'auscult:device', JSON.parse(FORMATS.json.device(d, ctx)), ctx),
  };
}
