// The walk over every node of one policy file (policy-file.ts): aliases and secrets, by key name or
// by value (docs/policy-files.md).
import { isAlias, isMap, isScalar, isSeq, type Node } from 'yaml'
import type { FileCheck } from './file-check.js'
import { quote } from './findings.js'
import { describeLocation, type Path } from './schema-messages.js'
import { isVariableNameField } from './secret-env.js'
import { isSecretKey, secretKind } from './secrets.js'
import { keyText } from './yaml-source.js'

// Scope and role names are identifiers, not fields.
const isScopesMap = (path: Path): boolean =>
  path.length === 3 && path[0] === 'environments' && (path[2] === 'scopes' || path[2] === 'roles')
/** Tagged collections the yaml package turns into a Map, a Set or a list of pairs (in any YAML version): the schema check would see an empty mapping. */
const TAGGED_COLLECTIONS: Record<string, string> = {
  'tag:yaml.org,2002:omap': '!!omap',
  'tag:yaml.org,2002:pairs': '!!pairs',
  'tag:yaml.org,2002:set': '!!set',
}

const isIdentifier = (path: Path): boolean =>
  (path.length === 1 && path[0] === 'app') ||
  (path.length === 3 && path[0] === 'environments' && ['clientId', 'tokenEndpoint', 'resource', 'audience'].includes(path[2] ?? '')) ||
  (path.length === 4 && path[0] === 'environments' && ['resources', 'audiences'].includes(path[2] ?? ''))

/**
 * Walks every node: aliases (a diff reviewer must see every grant written out) and secrets, by
 * key name or by value. Returns false when an alias makes the rest meaningless.
 */
export function scanNodes (c: FileCheck): boolean {
  let aliases = false
  const visit = (node: unknown, path: Path): void => {
    if (isAlias(node)) {
      aliases = true
      c.error(c.nodeLoc(node), 'yaml-alias', 'an alias (*name): write the value out, so that a diff shows every grant')
      return
    }
    const tag = (isMap(node) || isSeq(node)) && node.tag !== undefined ? TAGGED_COLLECTIONS[node.tag] : undefined
    if (tag !== undefined) {
      c.error(c.nodeLoc(node as Node), 'schema', `${describeLocation(path)} is tagged ${tag}: write a plain mapping (or list) without the tag`, path)
      return
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = keyText(pair)
        if (isAlias(pair.key)) {
          visit(pair.key, path)
          continue
        }
        if (key === null) {
          c.error(c.nodeLoc(pair.key as Node), 'schema', 'keys must be plain names, not lists or mappings', path)
          continue
        }
        const childPath = [...path, key]
        // A pasted secret used as a key: schema and scope-name findings quote keys, so it is
        // flagged here, by kind only. Scope names are identifiers: known shapes only.
        const keyKind = secretKind(key, isScopesMap(path))
        if (keyKind !== null) {
          c.error(
            c.nodeLoc(pair.key as Node),
            'secret',
            `a key in ${describeLocation(path)} looks like a secret (${keyKind}): secrets never belong in a policy file; remove it and rotate it`,
            childPath
          )
          continue
        }
        // Scope names are not fields: `scopes: { secrets:read: … }` is a scope, not a secret.
        // `secretEnv: NAME` names a variable; its value is checked like any other.
        if (!isScopesMap(path) && !isVariableNameField(childPath) && isSecretKey(key)) {
          c.error(
            c.nodeLoc(pair.key as Node),
            'secret',
            `key ${quote(key)} looks like a secret: secrets never belong in a policy file (give them to the app through its environment, and rotate any secret that was committed)`,
            childPath
          )
          continue
        }
        visit(pair.value, childPath)
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, String(i)]))
    } else if (isScalar(node) && (node.value instanceof Date || node.value instanceof Uint8Array)) {
      // A `!!timestamp` or `!!binary` value: no field takes one, and the schema check would see an object.
      c.error(
        c.nodeLoc(node),
        'schema',
        `${describeLocation(path)} is ${node.value instanceof Date ? 'a timestamp (!!timestamp)' : 'binary data (!!binary)'}: a policy file holds text, true/false, lists and mappings; quote it if it is text`,
        path
      )
    } else if (isScalar(node) && typeof node.value === 'string') {
      const kind = secretKind(node.value, isIdentifier(path))
      if (kind !== null) {
        c.error(
          c.nodeLoc(node),
          'secret',
          `${describeLocation(path)} looks like a secret (${kind}): secrets never belong in a policy file; remove it and rotate it`,
          path
        )
      }
    }
  }
  visit(c.root, [])
  return !aliases
}
