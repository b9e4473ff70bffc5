// Every error leaves as Fastify's `{ statusCode, code, error, message }`. Client errors
// (validation, parsing, limits, content type, auth) keep their 4xx; anything else is a
// bug, logged in full and answered with a 500 that reveals nothing.
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

function clientStatus (error: FastifyError): number | null {
  if (error.validation) return 400
  const status = error.statusCode
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null
}

export function handleError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = clientStatus(error)
  if (status !== null) {
    void reply.code(status).send({
      statusCode: status,
      code: error.code ?? (error.validation ? 'FST_ERR_VALIDATION' : 'FST_PREFLIGHT_BAD_REQUEST'),
      error: STATUS_CODES[status] ?? 'Client Error',
      message: error.message,
    })
    return
  }
  request.log.error({ err: error }, 'unexpected error')
  void reply.code(500).send({
    statusCode: 500,
    code: 'FST_PREFLIGHT_INTERNAL',
    error: 'Internal Server Error',
    message: 'Internal error; see the service log',
  })
}
