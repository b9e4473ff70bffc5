// JSON Schema (draft-07) checks with Ajv 8, the validator Fastify itself installs (through
// @fastify/ajv-compiler): the plugin's options and environment, and the policy files.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'

export type { ErrorObject } from 'ajv'

let ajv: Ajv | undefined

/**
 * The schema's check, compiled on first use: importing a module that holds a schema costs
 * nothing. Every error is reported (allErrors), with the value it is about (verbose: `data`).
 * Strict: a schema keyword Ajv would ignore is a mistake, caught where the schema is compiled.
 */
export function lazyValidator (schema: object): (value: unknown) => ErrorObject[] {
  let validate: ValidateFunction | undefined
  return (value) => {
    ajv ??= new Ajv({ allErrors: true, verbose: true, strict: true })
    validate ??= ajv.compile(schema)
    return validate(value) ? [] : (validate.errors ?? [])
  }
}
