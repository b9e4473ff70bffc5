// GET / (the catalogue page) and its static assets, open without an API key: with keys set
// the page is a shell holding no policy data (docs/preflight-api.md).
import { readFile } from 'node:fs/promises'
import type { FastifyPluginAsync } from 'fastify'
import { catalogueOf } from '../catalogue/model.js'
import { renderPage } from '../catalogue/page.js'
import type { PolicyStore } from '../policy-store.js'

/** No inline script or style; data only from this origin. Set on the page routes alone (the others get FRAME_CSP). */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

const ASSET_TYPES: Record<string, string> = {
  'catalogue.js': 'text/javascript; charset=utf-8',
  'catalogue.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
}

export const catalogueRoutes: FastifyPluginAsync<{ store: PolicyStore; keyed: boolean }> = async (app, { store, keyed }) => {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', PAGE_CSP)
    return payload
  })

  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    const status = store.status()
    const page = keyed ? renderPage({ keyed, status }) : renderPage({ keyed, status, apps: catalogueOf(store.current) })
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page)
  })

  for (const [name, type] of Object.entries(ASSET_TYPES)) {
    const body = await readFile(new URL(`../catalogue/assets/${name}`, import.meta.url))
    app.get(`/assets/${name}`, { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').type(type).send(body)
    )
  }
}
