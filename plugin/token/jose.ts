// jose, loaded on first use: only private_key_jwt (and DPoP) sign JWTs, so a client with a
// secret never loads it. Every module that needs jose at run time gets it from here and
// imports only its types statically.
let loading: Promise<typeof import('jose')> | undefined

/** The jose module, imported once, when the first JWT is to be signed. */
export function loadJose (): Promise<typeof import('jose')> {
  loading ??= import('jose')
  return loading
}
