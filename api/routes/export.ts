/**
 * Export routes: every device (with the list's filters) or every event after `since`, in one SIEM
 * format, streamed with back-pressure (agent/export/writer.ts): a slow client holds the database
 * cursor back, never the server's memory. Parameters are checked before the first byte, so a bad
 * one is a 400 with the reason; a failure once streaming has begun ends the response early (the
 * client sees a truncated body, the log says why).
 */
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { eventsAfter, type EventSource } from '../../agent/export/event-source.js';
import { FORMAT_NAMES, FORMATS, formatByName, type FormatName } from '../../agent/export/formats.js';
import { exportContext, type ExportContext } from '../../agent/export/context.js';
import { writeDevices, writeEvents, type WriteResult } from '../../agent/export/writer.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { builtinFingerprintsDir, loadCategoryIds } from '../../agent/identify/index.js';
import { ERROR_RESPONSES } from '../errors.js';
import { categoryCheck, DEVICE_FILTER_PARAMS, filterOfQuery } from './devices.js';

export interface ExportRoutesOptions {
  reader: StoreReader;
  /** Where events come from (default: the database's events table). */
  events?: EventSource;
  categories?: readonly string[];
  /** Sensor identity in every record (default: this host). */
  context?: ExportContext;
}

const Format = Type.Union(
  FORMAT_NAMES.map((n) => Type.Literal(n)),
  { description: `record format: ${FORMAT_NAMES.join(', ')} (README: SIEM formats)` },
);

const DeviceExportQuery = Type.Object({ format: Format, ...DEVICE_FILTER_PARAMS }, { additionalProperties: false });
const EventExportQuery = Type.Object(
  {
    format: Format,
    since: Type.Optional(
      Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'only events with a greater sequence number (the seq of the last event you have)' }),
    ),
  },
  { additionalProperties: false },
);

/** The 200 response in each content type the formats use (records are text; README documents them). */
const streamed = (what: string) => ({
  description: `${what}, one record each, in the requested format; streamed (chunked)`,
  content: Object.fromEntries(
    [...new Set(Object.values(FORMATS).map((f) => f.contentType))].map((ct) => [ct, { schema: { type: 'string' } }]),
  ),
});

const exportRoutes: FastifyPluginAsyncTypebox<ExportRoutesOptions> = async (app, opts) => {
  const { reader } = opts;
  const events = opts.events ?? reader.eventSource();
  const checkCategory = categoryCheck(reader, opts.categories ?? loadCategoryIds({ builtinDir: builtinFingerprintsDir() }));
  const context = opts.context ?? exportContext();

  /** Starts `write` into a stream the reply sends; a failure mid-stream ends the response, logged. */
  const stream = (format: FormatName, write: (out: PassThrough) => Promise<WriteResult>, log: { error: (o: object, m: string) => void }) => {
    const out = new PassThrough();
    write(out).then(
      () => out.end(),
      (err: Error) => {
        if (!out.destroyed) log.error({ err }, 'export failed while streaming');
        out.destroy(err);
      },
    );
    return { out, type: formatByName(format).contentType };
  };

  app.get(
    '/export/devices',
    {
      config: { scope: 'export' },
      schema: {
        summary: 'Export devices in a SIEM format',
        description: 'Every device matching the filters of GET /devices, in id order, one record each, streamed.',
        tags: ['export'],
        querystring: DeviceExportQuery,
        response: { 200: streamed('Devices'), ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const filter = filterOfQuery(req.query, checkCategory);
      const { out, type } = stream(req.query.format, (o) => writeDevices(req.query.format, reader.allDevices(filter), o, { context }), req.log);
      return reply.type(type).send(out);
    },
  );

  app.get(
    '/export/events',
    {
      config: { scope: 'export' },
      schema: {
        summary: 'Export events in a SIEM format',
        description: 'Every event with a sequence number greater than since (default 0: all), in sequence order, streamed.',
        tags: ['export'],
        querystring: EventExportQuery,
        response: { 200: streamed('Events'), ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const since = req.query.since ?? 0;
      const { out, type } = stream(req.query.format, (o) => writeEvents(req.query.format, eventsAfter(events, since), o, { context }), req.log);
      return reply.type(type).send(out);
    },
  );
};

export default exportRoutes;
