// The preflight service's optional peer dependencies (docs/install.md): plugin users never
// install them, so every module of the service loads them through here, when an app is built
// or served, and a missing one is an error that says what to install.
import { createRequire } from 'node:module'
import createError from '@fastify/error'
import type fastifyEnv from '@fastify/env'
import type swagger from '@fastify/swagger'
import type swaggerUi from '@fastify/swagger-ui'
import type * as typebox from '@sinclair/typebox'
import type escapeHtml from 'escape-html'
import type { fastify, LogController } from 'fastify'
import type * as promClient from 'prom-client'

/**
 * What `buildPreflightApp`, `serve` and `scope-policy serve` need, as the command that installs
 * them (the ranges are the package's peerDependencies, a test keeps them equal). `fastify` is
 * there for the CLI-only install; `@fastify/type-provider-typebox` is only in the types of `./service`.
 */
export const SERVICE_INSTALL = 'npm install @fastify/env@^7.0.0 @fastify/swagger@^9.9.3 @fastify/swagger-ui@^6.1.3 @fastify/type-provider-typebox@^5.2.0 @sinclair/typebox@^0.34.52 escape-html@^1.0.3 fastify@5.x prom-client@^15.1.3'

/** A peer dependency of the preflight service is not installed; the message has the command that installs them. */
export const MissingPeerError = createError('FST_APP_TOKEN_MISSING_PEER', '%s', 500)

export interface ServicePeers {
  fastifyEnv: typeof fastifyEnv
  swagger: typeof swagger
  swaggerUi: typeof swaggerUi
  typebox: typeof typebox
  escapeHtml: typeof escapeHtml
  fastify: typeof fastify
  LogController: typeof LogController
  promClient: typeof promClient
}

let peers: ServicePeers | undefined

/** Loads the service's peers once (synchronously: `buildPreflightApp` returns the app). */
export function servicePeers (): ServicePeers {
  if (peers !== undefined) return peers
  const require = createRequire(import.meta.url)
  const missing: string[] = []
  const load = <T>(name: string, pick: (module: any) => T): T => {
    try {
      return pick(require(name))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((err as Error).message).includes(`'${name}'`)) throw err
      missing.push(name)
      return undefined as T
    }
  }
  // These are CommonJS packages: the plugins' require() result is also their `default`.
  const loaded: ServicePeers = {
    fastifyEnv: load('@fastify/env', (m) => m.default),
    swagger: load('@fastify/swagger', (m) => m.default),
    swaggerUi: load('@fastify/swagger-ui', (m) => m.default),
    typebox: load('@sinclair/typebox', (m) => m),
    escapeHtml: load('escape-html', (m) => m),
    ...load('fastify', (m) => ({ fastify: m.fastify, LogController: m.LogController })),
    promClient: load('prom-client', (m) => m),
  }
  if (missing.length > 0) {
    throw new MissingPeerError(`the preflight service (fastify-app-token/service, scope-policy serve) needs ${missing.join(', ')} (optional peer dependencies, not installed with the plugin): ${SERVICE_INSTALL}`)
  }
  peers = loaded
  return peers
}
