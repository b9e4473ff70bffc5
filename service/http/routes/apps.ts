// GET /v1/apps: every app of the policy set, as the catalogue page shows it (docs/preflight-api.md).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { catalogueOf } from '../catalogue/model.js'
import type { PolicyStore } from '../policy-store.js'
import { serviceSchemas } from '../schemas.js'

export const appsRoute: FastifyPluginAsyncTypebox<{ store: PolicyStore }> = async (app, { store }) => {
  const { AppList, Errors } = serviceSchemas()
  app.get(
    '/v1/apps',
    { schema: { summary: 'Every app with its owner, environments, clientIds and whitelisted scopes', response: { 200: AppList, 401: Errors[401] } } },
    async () => ({ apps: catalogueOf(store.current) })
  )
}
