/** GET /metrics: Prometheus text exposition (api/metrics.ts has the series). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ERROR_RESPONSES } from '../errors.js';
import type { ApiMetrics } from '../metrics.js';

export interface MetricsRoutesOptions {
  metrics: ApiMetrics;
}

const metricsRoutes: FastifyPluginAsyncTypebox<MetricsRoutesOptions> = async (app, opts) => {
  const { metrics } = opts;
  app.get(
    '/metrics',
    {
      config: { scope: 'metrics' },
      schema: {
        summary: 'Prometheus metrics',
        description: 'Capture counters (as of the capture\'s last flush, with their age), inventory and event totals, API request durations; Prometheus text format 0.0.4.',
        tags: ['health'],
        produces: ['text/plain'],
        response: {
          200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (_req, reply) => {
      metrics.refresh();
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
};

export default metricsRoutes;
