// The words of the scope rules (RFC 6749 §3.3, §4.4), one home for the policy
// files, the check and the plugin: each caller adds only its own remedy. Pure;
// a scope is quoted cut to 80 characters, so no input makes a message huge.
import { quote } from '../findings.js'

/** `scope "openid" is a user scope: …; remove it` */
export function userScopeMessage (scope: string): string {
  return `scope ${quote(scope)} is a user scope: a client_credentials token acts as the app, not a user (RFC 6749 §4.4), ` +
    'and servers answer invalid_scope; remove it'
}

/** `scope "a,b" is a comma-separated list: …`, the caller's remedy after it. */
export function commaListMessage (scope: string, remedy: string): string {
  return `scope ${quote(scope)} is a comma-separated list in one token: scopes are separated by spaces (RFC 6749 §3.3); ${remedy}`
}

/** A scope that is no §3.3 scope-token. */
export function notScopeTokenMessage (scope: unknown): string {
  return `scope ${typeof scope === 'string' ? quote(scope) : `(a ${typeof scope})`} is not an RFC 6749 §3.3 scope-token: no spaces, quotes, backslashes, control or non-ASCII characters`
}

/** For the invalid_scope hint. */
export const USER_SCOPES_NOTE = 'user scopes such as openid and offline_access are not valid for client_credentials'
