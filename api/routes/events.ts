/**
 * Events: what changed on the network, in the order the database recorded it. A client passes the
 * `next_since` of its last page as `since` and misses nothing (seq is assigned in the writing
 * transaction and never reused); an empty page means caught up. `order=desc` gives the newest first
 * (a screen's "latest events") and pages backwards with `before=next_before`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { EVENT_TYPES, SEVERITIES } from '../../agent/export/event.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { ApiError, ERROR_RESPONSES } from '../errors.js';

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
    order: Type.Optional(Type.Enum(['asc', 'desc'], { default: 'asc', description: 'asc: oldest first, after since (following the feed); desc: newest first, pages backwards with before' })),
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'order=desc only: events with a seq below this: next_before of the previous page (absent: from the newest)' })),
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
    next_since: Type.Integer({ description: 'pass as since for the next page (the highest seq returned; since itself when the page is empty). After a first order=desc page, following the feed with since=next_since gives what came after it' }),
    next_before: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: 'order=desc only: pass as before for the next, older page (the lowest seq returned); null when this page is the last' })),
  },
  { description: 'One page of events in seq order (order=desc: newest first)' },
);

const eventsRoutes: FastifyPluginAsyncTypebox<EventsRoutesOptions> = async (app, opts) => {
  const { reader } = opts;
  app.get(
    '/events',
    {
      schema: {
        summary: 'List events',
        description: 'Events in seq order after `since`, filtered. Pass next_since as the next since; an empty page means caught up. '
          + 'With order=desc the newest events first (below `before` when given, above `since`); pass next_before as the next before to page backwards, until it is null.',
        tags: ['events'],
        querystring: EventsQuery,
        response: { 200: EventPage, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const since = q.since ?? 0;
      const limit = q.limit ?? DEFAULT_EVENT_PAGE;
      const desc = q.order === 'desc';
      if (q.before !== undefined && !desc) {
        throw new ApiError(400, "query parameter 'before' pages backwards: it needs order=desc (with order=asc, page forwards with since)");
      }
      const items = reader.events({
        afterSeq: since, beforeSeq: q.before, order: desc ? 'desc' : 'asc', limit, type: q.type, deviceId: q.device_id, minSeverity: q.min_severity,
      });
      if (!desc) return { items, next_since: items.length === 0 ? since : items[items.length - 1].seq };
      // A short page is the last: nothing older matches (saves the client an empty round trip).
      return {
        items,
        next_since: items.length === 0 ? since : items[0].seq,
        next_before: items.length < limit ? null : items[items.length - 1].seq,
      };
    },
  );
};

export default eventsRoutes;
