/**
 * Device inventory routes: the list (filters, keyset pagination) and one device with its peers.
 * Response objects are exactly those of the StoreReader, the same the CLI prints with `--format json`.
 */
import { isIP, SocketAddress } from 'node:net';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { ipVersionOf, macToString, parseMac } from '../../agent/decode/format.js';
import { Device, DeviceDetail, DeviceObservation } from '../../agent/store/device-json.js';
import type { DeviceFilter } from '../../agent/store/device-query.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { builtinFingerprintsDir, loadCategoryIds } from '../../agent/identify/index.js';
import { ApiError, ERROR_RESPONSES } from '../errors.js';

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
    sort: Type.Optional(Type.Union([Type.Literal('id'), Type.Literal('risk')], { description: 'id (default) or risk: highest risk score first' })),
  },
  { additionalProperties: false },
);

type DeviceFilterQuery = Static<ReturnType<typeof Type.Object<typeof DEVICE_FILTER_PARAMS>>>;

const DeviceList = Type.Object(
  {
    items: Type.Array(Device),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null on the last page' }),
    limit: Type.Integer({ description: 'page size used' }),
  },
  { description: 'One page of devices' },
);

const DeviceIdParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'device id' }) },
  { additionalProperties: false },
);

/** Opaque to clients; a small JSON object: the id, and the risk score when sorted by risk. */
export function encodeCursor(afterId: number, afterRisk: number | null = null): string {
  return Buffer.from(JSON.stringify(afterRisk === null ? { after: afterId } : { after: afterId, risk: afterRisk }), 'utf8').toString('base64url');
}

/** The risk score a cursor of a risk-sorted list continues after, or null. */
export function decodeCursorRisk(cursor: string): number | null {
  try {
    const risk = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { risk?: unknown }).risk;
    return typeof risk === 'number' && Number.isInteger(risk) && risk >= 0 && risk <= 100 ? risk : null;
  } catch {
    return null;
  }
}

/** The id a cursor continues after, or null when it is not one we issued. */
export function decodeCursor(cursor: string): number | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const after = (value as { after?: unknown }).after;
  return typeof after === 'number' && Number.isSafeInteger(after) && after > 0 ? after : null;
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
      schema: {
        summary: 'List devices',
        description:
          'Devices in id order (or highest risk first with sort=risk), filtered, one page at a time. Follow next_cursor (with the same filters and sort) until it is null.',
        tags: ['devices'],
        querystring: DeviceListQuery,
        response: { 200: DeviceList, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? DEFAULT_PAGE_SIZE;
      const filter: DeviceFilter = { limit };
      if (q.cursor !== undefined) {
        const afterId = decodeCursor(q.cursor);
        if (afterId === null) {
          throw new ApiError(400, 'invalid cursor: pass the next_cursor of a previous response unchanged');
        }
        filter.afterId = afterId;
        if (q.sort === 'risk') {
          const afterRisk = decodeCursorRisk(q.cursor);
          if (afterRisk === null) throw new ApiError(400, 'invalid cursor: pass the next_cursor of a previous response unchanged, with the same sort');
          filter.afterRisk = afterRisk;
        }
      }
      Object.assign(filter, filterOfQuery(q, checkCategory));
      if (q.sort !== undefined) filter.sort = q.sort;
      if (q.min_risk !== undefined) filter.minRisk = q.min_risk;
      const { items, nextAfterId, nextAfterRisk } = reader.listDevices(filter);
      return { items, next_cursor: nextAfterId === null ? null : encodeCursor(nextAfterId, nextAfterRisk), limit };
    },
  );

  app.get(
    '/devices/:id',
    {
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
