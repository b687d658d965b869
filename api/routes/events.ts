/**
 * Events: what changed on the network, in the order the database recorded it. A client passes the
 * `next_since` of its last page as `since` and misses nothing (seq is assigned in the writing
 * transaction and never reused); an empty page means caught up.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { EVENT_TYPES, SEVERITIES } from '../../agent/export/event.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { ERROR_RESPONSES } from '../errors.js';

export interface EventsRoutesOptions {
  reader: StoreReader;
}

export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 1000;

const EventsQuery = Type.Object(
  {
    since: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'events with a seq above this: next_since of the previous page (0: from the start)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EVENT_PAGE, default: DEFAULT_EVENT_PAGE, description: 'events per page' })),
    type: Type.Optional(Type.Enum([...EVENT_TYPES], { description: 'only this event type' })),
    device_id: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'only events about this device' })),
    min_severity: Type.Optional(Type.Enum([...SEVERITIES], { description: 'this severity and above' })),
  },
  { additionalProperties: false },
);

export const EventSchema = Type.Object(
  {
    id: Type.String({ description: 'stable id derived from what the event says (40 hex characters): deduplicate on it' }),
    seq: Type.Integer({ description: 'position in the event sequence (since=)' }),
    time: Type.String({ format: 'date-time', description: 'capture time of what it reports' }),
    type: Type.Enum([...EVENT_TYPES]),
    severity: Type.Enum([...SEVERITIES]),
    device_id: Type.Union([Type.Integer(), Type.Null()], { description: 'the device it is about; null for sensor-wide events (mac.flood, capture.drops)' }),
    summary: Type.String({ description: 'one line for people; names from the wire as they came' }),
    details: Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, description: 'the facts, by type (README: Events)' }),
  },
  { description: 'One event' },
);

const EventPage = Type.Object(
  {
    items: Type.Array(EventSchema),
    next_since: Type.Integer({ description: 'pass as since for the next page (the last seq returned; since itself when the page is empty)' }),
  },
  { description: 'One page of events in seq order' },
);

const eventsRoutes: FastifyPluginAsyncTypebox<EventsRoutesOptions> = async (app, opts) => {
  const { reader } = opts;
  app.get(
    '/events',
    {
      schema: {
        summary: 'List events',
        description: 'Events in seq order after `since`, filtered. Pass next_since as the next since; an empty page means caught up.',
        tags: ['events'],
        querystring: EventsQuery,
        response: { 200: EventPage, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const since = q.since ?? 0;
      const items = reader.events({
        afterSeq: since, limit: q.limit ?? DEFAULT_EVENT_PAGE, type: q.type, deviceId: q.device_id, minSeverity: q.min_severity,
      });
      return { items, next_since: items.length === 0 ? since : items[items.length - 1].seq };
    },
  );
};

export default eventsRoutes;
