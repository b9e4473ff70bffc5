// A PolicySet put together app by app, with every environment's lookup (lookup.ts): the loader
// adds its apps at once; the off-thread reload adds a batch per turn of the event loop, with the
// lookups the worker built (they cross the thread with the apps and are not rebuilt).
import { adoptLookup, lookupFor, type EnvLookup } from './lookup.js'
import type { AppPolicy, EnvironmentPolicy, PolicySet } from './types.js'

export interface PolicySetBuilder {
  /** The set, filled in as apps are added. */
  readonly set: PolicySet
  /** Adds an app; `lookups`: its environments' lookups, in order, built for a set of the same folder. */
  add (app: AppPolicy, lookups?: readonly EnvLookup[]): void
}

export function policySetBuilder (dir: string): PolicySetBuilder {
  const apps = new Map<string, AppPolicy>()
  const byClientId = new Map<string, { app: AppPolicy; environment: EnvironmentPolicy }>()
  const set: PolicySet = { dir, apps, byClientId }
  return {
    set,
    add (app, lookups) {
      apps.set(app.app, app)
      let i = 0
      for (const environment of app.environments.values()) {
        byClientId.set(environment.clientId, { app, environment })
        const given = lookups?.[i++]
        if (given === undefined) lookupFor(set, app, environment)
        else adoptLookup(environment, given)
      }
    }
  }
}

/** The lookups of an app's environments, in order: what the worker sends with the app. */
export function lookupsOf (set: PolicySet, app: AppPolicy): EnvLookup[] {
  return [...app.environments.values()].map((environment) => lookupFor(set, app, environment))
}
