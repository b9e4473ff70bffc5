// GET /v1/clients/:clientId: what the policy lets this client ask for, and where it says so.
import createError from '@fastify/error'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { recordDecision } from '../access-log.js'
import { sourceOf, withoutQuery } from '../catalogue/model.js'
import type { PolicyStore } from '../policy-store.js'
import { serviceSchemas } from '../schemas.js'

const UnknownClientError = createError('FST_PREFLIGHT_UNKNOWN_CLIENT', "No policy has the clientId '%s'", 404)

export const clientsRoute: FastifyPluginAsyncTypebox<{ store: PolicyStore }> = async (app, { store }) => {
  const { ClientParams, ClientPolicy, Errors } = serviceSchemas()
  app.get(
    '/v1/clients/:clientId',
    {
      schema: {
        summary: 'The app, environment and whitelisted scopes of a clientId',
        params: ClientParams,
        response: { 200: ClientPolicy, 400: Errors[400], 401: Errors[401], 404: Errors[404] },
      },
    },
    async (request) => {
      const { clientId } = request.params
      recordDecision(request, { clientId })
      const policies = store.current
      const entry = policies.byClientId.get(clientId)
      if (!entry) throw new UnknownClientError(clientId)
      const { app: policy, environment } = entry
      return {
        clientId,
        app: policy.app,
        environment: environment.name,
        owner: policy.owner,
        description: policy.description,
        // As the catalogue shows them: a query string may carry secrets.
        tokenEndpoint: withoutQuery(environment.tokenEndpoint),
        authMethod: environment.authMethod,
        dpop: environment.dpop,
        resource: environment.resource === undefined ? undefined : withoutQuery(environment.resource),
        // generic is the default: left out, so the answer for a generic policy is as before.
        provider: policy.provider === 'generic' ? undefined : policy.provider,
        audience: environment.audience,
        roles: environment.roles && [...environment.roles.values()].map(({ name, reason }) => ({ name, reason })),
        scopes: [...environment.scopes.values()].map(({ name, reason }) => ({ name, reason })),
        source: sourceOf(environment.scopesAt),
      }
    }
  )
}
