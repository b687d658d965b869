/**
 * The change feed: `GET /changes?since=N&limit=L`. A client lists devices once (noting high_water),
 * then follows the feed from there, passing each page's next_since as the next since; an empty page
 * means caught up. A since the database can no longer answer exactly is 410 "resync": list again.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Device } from '../../agent/store/device-json.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { ApiError, ERROR_RESPONSES, ErrorResponse } from '../errors.js';
import { feedPageOf, type FeedReadAhead } from '../feed-read-ahead.js';
import { sendJsonBytes } from '../json-text.js';
import type { ResponseCache } from '../response-cache.js';

export interface ChangesRoutesOptions {
  reader: StoreReader;
  /** Reads the next page of a client catching up before it asks (api/feed-read-ahead.ts); null: none. The app closes it. */
  readAhead: FeedReadAhead | null;
  /** The app's response cache (null: off): a page it holds is not read ahead. */
  responseCache: ResponseCache | null;
}

export const DEFAULT_CHANGES_PAGE = 100;
export const MAX_CHANGES_PAGE = 1000;

const Seq = (description: string) => Type.Integer({ minimum: 1, description });

const ChangesQuery = Type.Object(
  {
    since: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        default: 0,
        description: 'sequence value already applied: next_since of the previous page, or high_water of a device list; 0 (default) for everything',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CHANGES_PAGE, default: DEFAULT_CHANGES_PAGE, description: 'items per page' })),
  },
  { additionalProperties: false },
);

const DeviceChange = Type.Object(
  {
    seq: Seq('sequence value of the device\'s latest change'),
    type: Type.Literal('device'),
    id: Type.Integer({ description: 'device id' }),
    deleted: Type.Literal(false),
    device: Type.Intersect([Device], { description: 'the device as it is now: the object GET /api/v1/devices/{id} gives, without peers' }),
  },
  { description: 'a device created or changed' },
);

const Tombstone = Type.Object(
  {
    seq: Seq('sequence value of the removal'),
    type: Type.Literal('device'),
    id: Type.Integer({ description: 'id of the device removed' }),
    deleted: Type.Literal(true),
    merged_into: Type.Union([Type.Integer(), Type.Null()], {
      description: 'the device it was folded into (e.g. a routed address found to be the router\'s own), null when simply removed',
    }),
  },
  { description: 'a device removed: drop it' },
);

export const ChangePage = Type.Object(
  {
    items: Type.Array(Type.Union([DeviceChange, Tombstone]), { description: 'in increasing seq order; each device at most once, at its latest change' }),
    next_since: Type.Integer({ description: 'pass as since for the next page (the last item\'s seq; since itself on an empty page)' }),
    high_water: Type.Integer({ description: 'the sequence\'s last value when the page was read: caught up once next_since reaches it' }),
  },
  { description: 'One page of the change feed' },
);

const changesRoutes: FastifyPluginAsyncTypebox<ChangesRoutesOptions> = async (app, opts) => {
  const { reader, readAhead, responseCache } = opts;
  if (readAhead !== null) app.addHook('onClose', async () => readAhead.close());
  const prefix = app.prefix;

  app.get(
    '/changes',
    {
      // Answers depend only on the database version (api/response-cache.ts).
      config: { cache: true },
      schema: {
        summary: 'Follow changes to devices',
        description:
          'Devices created or changed and devices removed after sequence value since, in sequence order. Every change to a device ' +
          'takes the next value of one per-database sequence in the transaction that writes it, so following next_since misses ' +
          'nothing: the state built by applying the items in order equals the device list. An empty page means caught up. ' +
          '410 with "resync" when since is older than the tombstones kept (store.tombstone_retention_days) or ahead of this ' +
          'database: list the devices again and follow from their high_water.',
        tags: ['changes'],
        querystring: ChangesQuery,
        response: { 200: ChangePage, 410: ErrorResponse, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const since = req.query.since ?? 0;
      const limit = req.query.limit ?? DEFAULT_CHANGES_PAGE;
      // A page read ahead at the version this request reads is this request's answer (api/feed-read-ahead.ts).
      const ahead = readAhead === null ? null : await readAhead.take(since, limit, req.cacheVersion ?? reader.changeVersion(req.dataVersion ?? undefined));
      let page = ahead;
      if (page === null) {
        // Items come as JSON texts, written out as bytes (api/json-text.ts): the bytes the schema's serialiser made of the objects.
        const read = reader.changesJson(since, limit);
        if (!read.ok) {
          throw new ApiError(410, `resync: ${read.reason}; list GET /api/v1/devices again and follow the changes from its high_water`);
        }
        page = feedPageOf(read);
      }
      if (readAhead !== null) {
        // The response cache's key is the URL as sent: a client that writes its query as this one does
        // (since, then limit) finds the next page there; another order only costs a read ahead.
        const cached = (next: number): boolean => responseCache?.has(`${prefix}/changes?since=${next}&limit=${limit}`) === true;
        const meta = { count: page.count, nextSince: page.nextSince, highWater: page.highWater };
        readAhead.answered(since, limit, meta, cached);
        // A hit skips this handler: the cache calls this so that a hit, too, reads the page after it ahead.
        req.cacheOnHit = () => readAhead.answered(since, limit, meta, cached);
      }
      return sendJsonBytes(reply, page.body, page.version);
    },
  );
};

export default changesRoutes;
