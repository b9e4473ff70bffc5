// GET /metrics: Prometheus text, open without an API key (no clientId in it by default; docs/metrics.md).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { PreflightMetrics } from '../metrics.js'

export const metricsRoute: FastifyPluginAsyncTypebox<{ metrics: PreflightMetrics }> = async (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics: preflight decisions and policy reloads',
        security: [],
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      const { contentType, text } = await metrics.exposition()
      return reply.type(contentType).send(text)
    }
  )
}
