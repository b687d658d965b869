/**
 * Device inventory routes: the list (filters, keyset pagination) and one device with its peers.
 * Response objects are exactly those of the StoreReader, the same the CLI prints with `--format json`.
 */
import { isIP, SocketAddress } from 'node:net';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { ipVersionOf, macToString, parseMac } from '../../agent/decode/format.js';
import { Device, DeviceDetail, DeviceObservation } from '../../agent/store/device-json.js';
import { DEVICE_SORT_KEYS, type DeviceFilter, type DevicePosition, type DeviceSortKey } from '../../agent/store/device-query.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { changeVersionOf } from '../../agent/store/change-query.js';
import { builtinFingerprintsDir, loadCategoryIds } from '../../agent/identify/index.js';
import { ApiError, ERROR_RESPONSES } from '../errors.js';
import { jsonObjectBytes, sendJsonBytes } from '../json-text.js';

export interface DevicesRoutesOptions {
  /** The inventory, read-only. */
  reader: StoreReader;
  /** Category ids accepted besides those of stored devices (default: the built-in library's). */
  categories?: readonly string[];
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** The list's filters, shared with the export route. */
export const DEVICE_FILTER_PARAMS = {
    mac: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 17,
        description: 'exact MAC address: aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or aabb.ccdd.eeff',
      }),
    ),
    ip: Type.Optional(
      Type.String({ minLength: 1, maxLength: 45, description: 'devices that used this IPv4 or IPv6 address' }),
    ),
    vendor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'case-insensitive substring of the identified vendor or of the MAC vendor' }),
    ),
    category: Type.Optional(
      Type.String({ pattern: '^[a-z0-9-]{1,64}$', description: 'category id, exact (README: Categories), e.g. infusion-pump, imaging-ct, printer' }),
    ),
    medical: Type.Optional(Type.Boolean({ description: 'true: only medical devices; false: only the others' })),
    seen_since: Type.Optional(
      Type.String({ format: 'date-time', description: 'devices last seen at or after this time (ISO 8601, with zone)' }),
    ),
    vlan: Type.Optional(Type.Integer({ minimum: 0, maximum: 4095, description: 'devices seen on this 802.1Q VLAN id' })),
    hostname: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'case-insensitive substring of one of the device\'s host names' }),
    ),
};

const DeviceListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'devices per page' }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'next_cursor of the previous page, unchanged; give the same filters again',
      }),
    ),
    ...DEVICE_FILTER_PARAMS,
    min_risk: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'devices whose risk score is at least this (README: Risk score)' })),
    sort: Type.Optional(
      Type.Enum([...DEVICE_SORT_KEYS], {
        default: 'id',
        description: 'order of the list, then by id: id, last_seen, first_seen, vendor (identified, else MAC vendor; case-insensitive; none first), category, risk (the risk score: README, Risk score)',
      }),
    ),
    order: Type.Optional(Type.Enum(['asc', 'desc'], { description: 'ascending or descending (default: ascending; descending for sort=risk, riskiest first)' })),
  },
  { additionalProperties: false },
);

type DeviceFilterQuery = Static<ReturnType<typeof Type.Object<typeof DEVICE_FILTER_PARAMS>>>;

export const DeviceList = Type.Object(
  {
    items: Type.Array(Device),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null on the last page' }),
    limit: Type.Integer({ description: 'page size used' }),
    high_water: Type.Integer({
      description: 'the change sequence\'s last value, read with the page: follow GET /api/v1/changes from here to miss nothing',
    }),
  },
  { description: 'One page of devices' },
);

const DeviceIdParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'device id' }) },
  { additionalProperties: false },
);

/** Where a page ends in an order; the order is part of the cursor so a cursor cannot continue another. */
export interface Cursor {
  after: number;
  sort: DeviceSortKey;
  order: 'asc' | 'desc';
  /** The last device's sort key value (absent in id order). */
  key?: string | number;
}

/** Opaque to clients: base64url of a small JSON object ({ after } alone in the default order). */
export function encodeCursor(afterId: number, sort: DeviceSortKey = 'id', order: 'asc' | 'desc' = 'asc', key?: string | number): string {
  const value = sort === 'id' && order === 'asc' ? { after: afterId } : { after: afterId, sort, order, ...(sort === 'id' ? {} : { key }) };
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** What a cursor continues after, or null when it is not one we issued. */
export function decodeCursor(cursor: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { after, sort = 'id', order = 'asc', key } = value as { after?: unknown; sort?: unknown; order?: unknown; key?: unknown };
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after <= 0) return null;
  if (!(DEVICE_SORT_KEYS as readonly unknown[]).includes(sort) || (order !== 'asc' && order !== 'desc')) return null;
  if (sort === 'id') return key === undefined ? { after, sort, order } : null;
  const numeric = sort === 'last_seen' || sort === 'first_seen' || sort === 'risk';
  if (numeric ? !(typeof key === 'number' && Number.isSafeInteger(key)) : typeof key !== 'string') return null;
  return { after, sort: sort as DeviceSortKey, order, key: key as string | number };
}

/** aa:bb:cc:dd:ee:ff as stored, from the separators people type. */
export function normaliseMac(text: string): string {
  // parseMac alone ignores every separator; insist on one of the three usual layouts.
  const layout = /^([0-9a-f]{2}([:-]?)[0-9a-f]{2}(\2[0-9a-f]{2}){4}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})$/i;
  const mac = layout.test(text) ? parseMac(text) : NaN;
  if (Number.isNaN(mac)) {
    throw new ApiError(
      400,
      `query parameter 'mac' is not a MAC address: '${text}' (expected aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or aabb.ccdd.eeff)`,
    );
  }
  return macToString(mac);
}

/** The text form the store uses: dotted quad, or RFC 5952 (lower case, `::` compressed) for IPv6. */
export function normaliseIp(text: string): string {
  const version = ipVersionOf(text);
  // ipVersionOf is a quick classifier; isIP rejects what it lets through (":::", "1::2::3").
  if (version === 0 || isIP(text) !== version) {
    throw new ApiError(400, `query parameter 'ip' is not an IPv4 or IPv6 address: '${text}'`);
  }
  return version === 4 ? text : new SocketAddress({ address: text, family: 'ipv6' }).address;
}

/** The filter parameters of a query, checked and normalised (400 naming the parameter). */
export function filterOfQuery(q: DeviceFilterQuery, checkCategory: (category: string) => void): DeviceFilter {
  const filter: DeviceFilter = {};
  if (q.mac !== undefined) filter.mac = normaliseMac(q.mac);
  if (q.ip !== undefined) filter.ip = normaliseIp(q.ip);
  if (q.vendor !== undefined) filter.vendor = q.vendor;
  if (q.category !== undefined) {
    checkCategory(q.category);
    filter.category = q.category;
  }
  if (q.medical !== undefined) filter.medical = q.medical;
  if (q.vlan !== undefined) filter.vlan = q.vlan;
  if (q.hostname !== undefined) filter.hostname = q.hostname;
  if (q.seen_since !== undefined) {
    const ms = Date.parse(q.seen_since);
    // The schema checked the format; a few valid forms (leap second 23:59:60) still do not parse.
    if (Number.isNaN(ms)) throw new ApiError(400, `query parameter 'seen_since' is not a usable time: '${q.seen_since}'`);
    filter.seenSinceMs = ms;
  }
  return filter;
}

/** The category check of the list: an unknown category is a typo, not an empty result (400 listing the ids). */
export function categoryCheck(reader: StoreReader, libraryCategories: readonly string[]): (category: string) => void {
  return (category) => {
    const known = new Set([...libraryCategories, ...reader.categories(), 'unknown']);
    if (!known.has(category)) {
      throw new ApiError(400, `query parameter 'category' is not a category id: '${category}' (valid: ${[...known].sort().join(', ')})`);
    }
  };
}

const devicesRoutes: FastifyPluginAsyncTypebox<DevicesRoutesOptions> = async (app, opts) => {
  const { reader } = opts;
  const libraryCategories = opts.categories ?? loadCategoryIds({ builtinDir: builtinFingerprintsDir() });

  const checkCategory = categoryCheck(reader, libraryCategories);

  app.get(
    '/devices',
    {
      // Answers depend only on the database version (api/response-cache.ts).
      config: { cache: true },
      schema: {
        summary: 'List devices',
        description:
          'Devices in id order (or sort, order), filtered, one page at a time. Follow next_cursor (with the same filters, sort and order) ' +
          'until it is null: paging is stable (keyset) while devices change. high_water: follow GET /api/v1/changes from it to stay current.',
        tags: ['devices'],
        querystring: DeviceListQuery,
        response: { 200: DeviceList, ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const limit = q.limit ?? DEFAULT_PAGE_SIZE;
      const sort = q.sort ?? 'id';
      // Riskiest first unless told otherwise: what an analyst sorting by risk wants.
      const order = q.order ?? (sort === 'risk' ? 'desc' : 'asc');
      const filter: DeviceFilter = { limit, sort, descending: order === 'desc' };
      if (q.cursor !== undefined) {
        const c = decodeCursor(q.cursor);
        if (c === null) {
          throw new ApiError(400, 'invalid cursor: pass the next_cursor of a previous response unchanged');
        }
        if (c.sort !== sort || c.order !== order) {
          throw new ApiError(400, `cursor belongs to another order (sort=${c.sort}&order=${c.order}): give the same sort and order as the request that returned it`);
        }
        const position: DevicePosition = { id: c.after, key: c.key ?? c.after };
        filter.after = position;
      }
      Object.assign(filter, filterOfQuery(q, checkCategory));
      if (q.min_risk !== undefined) filter.minRisk = q.min_risk;
      // The devices come as JSON texts, written out as bytes (api/json-text.ts): the bytes the schema's serialiser made of the objects.
      const { itemTexts, next, sequence } = reader.snapshot(() => ({ ...reader.listDevicesJson(filter), sequence: reader.changeSequence() }));
      const nextCursor = next === null ? null : encodeCursor(next.id, sort, order, sort === 'id' ? undefined : next.key);
      return sendJsonBytes(reply, jsonObjectBytes([
        ['items', itemTexts], ['next_cursor', JSON.stringify(nextCursor)], ['limit', String(limit)], ['high_water', String(sequence.highWater)],
      ]), changeVersionOf(sequence));
    },
  );

  app.get(
    '/devices/:id',
    {
      // Answers depend only on the database version (api/response-cache.ts).
      config: { cache: true },
      schema: {
        summary: 'One device with its peers',
        description: 'The device and every conversation partner, as client or server.',
        tags: ['devices'],
        params: DeviceIdParams,
        response: { 200: DeviceDetail, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const device = reader.deviceDetail(req.params.id);
      if (device === null) throw new ApiError(404, `no device with id ${req.params.id}`);
      return device;
    },
  );

  app.get(
    '/devices/:id/observations',
    {
      // Answers depend only on the database version (api/response-cache.ts).
      config: { cache: true },
      schema: {
        summary: 'The evidence behind one device',
        description:
          'Every distinct set of facts a dissector extracted about the device, with the protocol, first and last time seen and how often: the raw evidence behind hostnames and evidence.',
        tags: ['devices'],
        params: DeviceIdParams,
        response: { 200: Type.Object({ items: Type.Array(DeviceObservation) }), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const items = reader.observations(req.params.id);
      if (items === null) throw new ApiError(404, `no device with id ${req.params.id}`);
      return { items };
    },
  );
};

export default devicesRoutes;
