// How risky granting a scope is, from its words alone (docs/pr-review.md, "What the risk flags
// mean"; keep the two in step).
import type { Risk } from './risk.js'

// Scope words, compared after splitting the scope at separators and camelCase humps
// (`User.ReadWrite.All` → user, read, write, all).
const WRITE_WORDS = new Set([
  'write', 'readwrite', 'rw', 'create', 'add', 'update', 'edit', 'modify', 'patch', 'put', 'post',
  'delete', 'remove', 'destroy', 'purge', 'erase', 'revoke', 'send', 'execute', 'exec', 'run',
  'import', 'upload', 'assign', 'reset', 'rotate', 'approve', 'set',
])
const ADMIN_WORDS = new Set([
  'admin', 'administer', 'administration', 'manage', 'management', 'owner', 'root', 'superuser',
  'sudo', 'impersonate', 'impersonation', 'full', 'all', '*',
])
/** Objects whose control is control over who gets access. */
const PRIVILEGED_OBJECTS = new Set([
  'client', 'clients', 'grant', 'grants', 'key', 'keys', 'apikey', 'apikeys', 'secret', 'secrets',
  'credential', 'credentials', 'token', 'tokens', 'user', 'users', 'role', 'roles', 'permission',
  'permissions', 'oauth', 'authorization', 'authorizations',
])
/** Reading these already hands out access. */
const SECRET_MATERIAL = new Set([
  'key', 'keys', 'apikey', 'apikeys', 'secret', 'secrets', 'credential', 'credentials', 'token', 'tokens',
])
const PROD_NAMES = new Set(['prod', 'production', 'prd', 'live'])

export function isProdEnvironment (name: string): boolean {
  return PROD_NAMES.has(name.toLowerCase())
}

function scopeWords (scope: string): string[] {
  return scope
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9*]+|(?=\*)|(?<=\*)/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase())
}

/** The risk of granting `scope`, from its words alone. */
export function classifyScope (scope: string): { risk: Risk; why: string } {
  const words = scopeWords(scope)
  const objects = words.filter((w) => PRIVILEGED_OBJECTS.has(w))
  const admin = words.some((w) => ADMIN_WORDS.has(w))
  const write = words.some((w) => WRITE_WORDS.has(w))
  // `oauth:clients:manage`: name the clients, not the protocol.
  const object = objects.find((w) => w !== 'oauth') ?? objects[0]
  if (object && (admin || write)) {
    return { risk: 'critical', why: `${admin ? 'admin' : 'write'} privilege over ${object}` }
  }
  if (admin) return { risk: 'high', why: 'admin-like scope' }
  if (write) return { risk: 'high', why: 'write/delete-like scope' }
  const secret = objects.find((w) => SECRET_MATERIAL.has(w))
  if (secret) return { risk: 'high', why: `reads ${secret}` }
  if (object) return { risk: 'medium', why: `reads ${object}` }
  return { risk: 'low', why: 'read-like scope' }
}
