/**
 * The HTTP surface: one fastify instance on one port (8081 by default) carrying the Iceberg
 * REST catalog under /v1 and the admin API under /admin. Further plugins (the schema
 * registry, metrics) register on the returned instance before startHttp.
 *
 * Requests are not logged one by one at info (they would drown the Kafka side); they are
 * logged at debug when they complete, and every 5xx is logged at error with its cause.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { logger as processLogger } from '../logger.js';
import type { IcebergCatalog } from '../tables/iceberg/catalog.js';
import { adminPlugin, type AdminSource } from './admin.js';
import { icebergRestCatalog } from './iceberg-rest-catalog.js';
import { problemErrorHandler, problemNotFoundHandler } from './problem.js';
import type { SchemaRegistry } from '../schema-registry/registry.js';
import { schemaRegistryPlugin } from './schema-registry.js';

export interface HttpDeps {
  catalog: IcebergCatalog;
  admin: AdminSource;
  /**
   * The built-in Confluent-compatible schema registry, served at the root (/subjects, /schemas,
   * ...). Absent with --schema-registry-url: those paths then answer 404.
   */
  schemaRegistry?: SchemaRegistry;
  /** Defaults to the process logger (src/logger.ts) with component=http. */
  logger?: FastifyBaseLogger;
  /** True once the node is shutting down: /admin/health then answers 503. */
  stopping?: () => boolean;
  /** Why the log storage cannot take writes (null when it can): /admin/health then answers 503. */
  storageFailure?: () => string | null;
  /** Defaults to DEFAULT_HTTP_TIMEOUTS; tests shorten them. */
  timeouts?: HttpTimeouts;
}

/**
 * fastify turns Node's request timeout off; without these a client that sends its headers
 * and then part of a body, slowly or not at all, holds its connection and its buffers forever
 * (the header timeout, 60 s, only covers the headers).
 */
export interface HttpTimeouts {
  /** A connection with no bytes either way for this long is closed (Node's socket timeout). */
  idleMs: number;
  /** A request must arrive whole within this long (408 otherwise). */
  requestMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { idleMs: 120_000, requestMs: 300_000 };

export function buildHttpApp(deps: HttpDeps): FastifyInstance {
  const timeouts = deps.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const app = Fastify({
    connectionTimeout: timeouts.idleMs,
    requestTimeout: timeouts.requestMs,
    // Shutting down cuts requests still in flight rather than waiting for them: one stalled
    // client would otherwise hold the shutdown, and the logs' clean close, for idleMs.
    forceCloseConnections: true,
    loggerInstance: deps.logger ?? processLogger.child({ component: 'http' }),
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: {
      ignoreTrailingSlash: true,
      // Multi-level namespaces and table names make long path parameters (default limit 100).
      maxParamLength: 2048,
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'http request',
    );
  });

  app.setErrorHandler(problemErrorHandler);
  app.setNotFoundHandler(problemNotFoundHandler);

  app.register(icebergRestCatalog, { prefix: '/v1', catalog: deps.catalog });
  app.register(adminPlugin, { prefix: '/admin', source: deps.admin, stopping: deps.stopping, storageFailure: deps.storageFailure });
  if (deps.schemaRegistry) app.register(schemaRegistryPlugin, { registry: deps.schemaRegistry });
  return app;
}

/** Listens on host:port (0 = any free port) and resolves with the bound port. */
export async function startHttp(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo | null;
  if (!address || typeof address === 'string') throw new Error('HTTP server is not bound to a TCP port');
  return address.port;
}
