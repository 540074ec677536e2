/**
 * The HTTP surface's generic error body (RFC 9457 problem details) for every route that
 * does not answer in its own API's shape (the Iceberg REST plugin does, under /v1).
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

export function problem(status: number, detail: string): ProblemBody {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail };
}

/** The status an error thrown inside a route should answer with (500 when it carries none). */
export function statusOf(err: Partial<FastifyError>): number {
  if (err.validation) return 400;
  const code = err.statusCode;
  return typeof code === 'number' && code >= 400 && code <= 599 ? code : 500;
}

export function sendProblem(reply: FastifyReply, status: number, detail: string): FastifyReply {
  return reply.code(status).type('application/problem+json').send(JSON.stringify(problem(status, detail)));
}

export function problemErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = statusOf(err);
  if (status >= 500) {
    request.log.error({ err, method: request.method, url: request.url }, 'http request failed');
    return sendProblem(reply, status, 'internal error; see the server log');
  }
  return sendProblem(reply, status, err.message);
}

export function problemNotFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, 404, `no route for ${request.method} ${request.url.split('?')[0]}`);
}
