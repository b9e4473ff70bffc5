// Probes, open without an API key: liveness, and readiness (a valid policy set in force).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { PolicyStore } from '../policy-store.js'
import { serviceSchemas } from '../schemas.js'

export const healthRoutes: FastifyPluginAsyncTypebox<{ store: PolicyStore }> = async (app, { store }) => {
  const { Health, NotReady, Ready } = serviceSchemas()
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness', security: [], response: { 200: Health } } },
    async () => ({ status: 'ok' as const })
  )

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: 200 while the policy folder is valid; 503 with its findings after a refused reload',
        security: [],
        response: { 200: Ready, 503: NotReady },
      },
    },
    async (_request, reply) => {
      const status = store.status()
      if (status.ready) return { status: 'ready' as const, apps: status.apps, loadedAt: status.loadedAt.toISOString() }
      const { reason, files, findings } = status
      return reply.code(503).send({ status: 'not_ready' as const, reason, files, findings })
    }
  )
}
