/**
 * Findings routes: the list (filters, keyset pagination), one finding, and the acknowledgement of a
 * finding by an analyst (the only write: through the narrow `acknowledge` function the server gives,
 * never a database handle).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Finding } from '../../agent/store/finding-json.js';
import type { FindingFilter } from '../../agent/store/findings.js';
import type { StoreReader } from '../../agent/store/reader.js';
import { ApiError, ERROR_RESPONSES } from '../errors.js';
import { decodeCursor, encodeCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './devices.js';

export interface FindingsRoutesOptions {
  reader: StoreReader;
  /** Acknowledge a finding with a reason; false when there is no such unresolved finding. Absent: the route answers 405. */
  acknowledge?: (id: number, reason: string) => Promise<boolean>;
}

const FindingListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'findings per page' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'next_cursor of the previous page, unchanged' })),
    type: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$', description: 'finding type id (README: Findings), e.g. cleartext-dicom' })),
    severity: Type.Optional(Type.Union(['critical', 'high', 'medium', 'low', 'info'].map((s) => Type.Literal(s)), { description: 'exact severity' })),
    device: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'device id' })),
    medical: Type.Optional(Type.Boolean({ description: 'true: findings of medical devices only; false: of the others' })),
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')])),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'finding id' }) }, { additionalProperties: false });

const AckBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000, description: 'why the risk is accepted (shown with the finding)' }) },
  { additionalProperties: false },
);

const findingsRoutes: FastifyPluginAsyncTypebox<FindingsRoutesOptions> = async (app, opts) => {
  const { reader } = opts;

  app.get('/findings', {
    config: { scope: 'read' },
    schema: {
      summary: 'List findings',
      description: 'Security findings in id order, filtered, one page at a time. Follow next_cursor (with the same filters) until it is null.',
      tags: ['findings'],
      querystring: FindingListQuery,
      response: {
        200: Type.Object({ items: Type.Array(Finding), next_cursor: Type.Union([Type.String(), Type.Null()]), limit: Type.Integer() }),
        ...ERROR_RESPONSES,
      },
    },
  }, async (req) => {
    const q = req.query;
    const limit = q.limit ?? DEFAULT_PAGE_SIZE;
    const filter: FindingFilter = { limit, type: q.type, severity: q.severity, deviceId: q.device, medical: q.medical, status: q.status };
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      if (c === null || c.sort !== 'id' || c.order !== 'asc') throw new ApiError(400, 'invalid cursor: pass the next_cursor of a previous response unchanged');
      filter.afterId = c.after;
    }
    const { items, nextAfterId } = reader.findings(filter);
    return { items, next_cursor: nextAfterId === null ? null : encodeCursor(nextAfterId), limit };
  });

  app.get('/findings/:id', {
    config: { scope: 'read' },
    schema: { summary: 'One finding', tags: ['findings'], params: IdParams, response: { 200: Finding, ...ERROR_RESPONSES } },
  }, async (req) => {
    const f = reader.finding(req.params.id);
    if (f === null) throw new ApiError(404, `no finding with id ${req.params.id}`);
    return f;
  });

  app.post('/findings/:id/ack', {
    // Accepting a risk changes what every reader sees: an administrator's decision.
    config: { scope: 'admin' },
    schema: {
      summary: 'Acknowledge a finding (accept the risk)',
      description: 'The finding stays listed, marked acknowledged with the reason, and stops counting in its device\'s risk score; found again after it was resolved, it opens again.',
      tags: ['findings'],
      params: IdParams,
      body: AckBody,
      response: { 200: Finding, ...ERROR_RESPONSES },
    },
  }, async (req) => {
    if (opts.acknowledge === undefined) throw new ApiError(405, 'this server is read-only: acknowledge with `auscult findings ack`');
    if (!(await opts.acknowledge(req.params.id, req.body.reason))) {
      throw new ApiError(reader.finding(req.params.id) === null ? 404 : 400, `no open or acknowledged finding with id ${req.params.id}`);
    }
    return reader.finding(req.params.id) as Finding;
  });
};

export default findingsRoutes;
