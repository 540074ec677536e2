/**
 * The Iceberg REST catalog, read path (apache/iceberg open-api/rest-catalog-open-api.yaml),
 * as a fastify plugin meant to be registered under the `/v1` prefix.
 *
 * Served: config, list/load/HEAD namespaces, list tables, load/HEAD table. Every route is
 * also reachable with a catalog prefix segment (`/v1/{prefix}/namespaces...`); config
 * advertises no `prefix`, so clients use the plain form, and a prefix a client configures on
 * its own side is accepted and ignored (there is one catalog).
 *
 * Tables are written by lakegate itself, so the catalog is read-only: every write method
 * answers 406 UnsupportedOperationException. Views do not exist: any `/views` route answers
 * 404 NoSuchViewException (Java clients probe views after a table miss). Scan/commit metrics
 * reports are accepted and dropped (204), not advertised.
 *
 * LoadTableResult embeds the metadata file's exact text, never a re-serialization: snapshot
 * ids exceed 2^53 and would not survive JSON.parse.
 */
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidIdentifierError, type IcebergCatalog, type Namespace } from '../tables/iceberg/catalog.js';
import { statusOf } from './problem.js';

export interface IcebergRestCatalogOptions {
  catalog: IcebergCatalog;
}

/** The unit separator (0x1F, url-encoded %1F) joins the levels of a namespace in paths and queries. */
export const NAMESPACE_SEPARATOR = '\u001f';

/** The spec's ErrorModel types this plugin answers with. */
export type IcebergErrorType =
  | 'BadRequestException'
  | 'NotAuthorizedException'
  | 'ForbiddenException'
  | 'NoSuchNamespaceException'
  | 'NoSuchTableException'
  | 'NoSuchViewException'
  | 'NotFoundException'
  | 'UnsupportedOperationException'
  | 'ServiceUnavailableException'
  | 'InternalServerError';

export interface IcebergErrorBody {
  error: { message: string; type: string; code: number };
}

export class IcebergRestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: IcebergErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'IcebergRestError';
  }
}

/** Endpoints advertised by GET /v1/config, in the spec's "METHOD /v1/{prefix}/..." form. */
export const ICEBERG_ENDPOINTS: readonly string[] = [
  'GET /v1/{prefix}/namespaces',
  'GET /v1/{prefix}/namespaces/{namespace}',
  'HEAD /v1/{prefix}/namespaces/{namespace}',
  'GET /v1/{prefix}/namespaces/{namespace}/tables',
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
];

const READ_ONLY_MESSAGE =
  'the lakegate Iceberg REST catalog is read-only: its tables are created and written by lakegate itself from Kafka topics';

// ---- JSON schemas --------------------------------------------------------------------------

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const namespaceSchema = { type: 'array', items: { type: 'string' } } as const;

const prefixParam = { prefix: { type: 'string' } } as const;
const namespaceParams = {
  type: 'object',
  required: ['namespace'],
  properties: { ...prefixParam, namespace: { type: 'string', minLength: 1 } },
} as const;
const tableParams = {
  type: 'object',
  required: ['namespace', 'table'],
  properties: { ...prefixParam, namespace: { type: 'string', minLength: 1 }, table: { type: 'string', minLength: 1 } },
} as const;
/** Pagination is optional for servers: the parameters are accepted and everything is one page. */
const pageQuery = {
  pageToken: { type: 'string' },
  pageSize: { type: 'integer', minimum: 1 },
} as const;

const configSchema = {
  querystring: { type: 'object', properties: { warehouse: { type: 'string' } } },
  response: {
    200: {
      type: 'object',
      required: ['defaults', 'overrides'],
      properties: { defaults: stringMap, overrides: stringMap, endpoints: { type: 'array', items: { type: 'string' } } },
    },
  },
} as const;

const listNamespacesSchema = {
  params: { type: 'object', properties: prefixParam },
  querystring: { type: 'object', properties: { ...pageQuery, parent: { type: 'string' } } },
  response: {
    200: {
      type: 'object',
      required: ['namespaces'],
      properties: { namespaces: { type: 'array', items: namespaceSchema } },
    },
  },
} as const;

const namespaceSchemaRoute = {
  params: namespaceParams,
  response: {
    200: {
      type: 'object',
      required: ['namespace', 'properties'],
      properties: { namespace: namespaceSchema, properties: stringMap },
    },
  },
} as const;

const listTablesSchema = {
  params: namespaceParams,
  querystring: { type: 'object', properties: pageQuery },
  response: {
    200: {
      type: 'object',
      required: ['identifiers'],
      properties: {
        identifiers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['namespace', 'name'],
            properties: { namespace: namespaceSchema, name: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

/** The 200 body is built as text (see loadTableBody), so it has no response schema. */
const loadTableSchema = {
  params: tableParams,
  querystring: { type: 'object', properties: { snapshots: { type: 'string', enum: ['all', 'refs'] } } },
} as const;

// ---- helpers -------------------------------------------------------------------------------

/** Splits a `namespace` path parameter or `parent` query value (already percent-decoded). */
export function parseNamespace(raw: string): Namespace {
  const parts = raw.split(NAMESPACE_SEPARATOR);
  if (parts.some((p) => p.length === 0)) {
    throw new IcebergRestError(400, 'BadRequestException', `malformed namespace ${JSON.stringify(raw)}: empty level`);
  }
  return parts;
}

function showNamespace(ns: Namespace): string {
  return ns.join('.');
}

/**
 * LoadTableResult as text: the metadata file's own bytes spliced in verbatim, so ids beyond
 * 2^53 and any field this server does not know pass through untouched.
 */
export function loadTableBody(metadataLocation: string, metadataJson: string, config: Record<string, string>): string {
  return (
    `{"metadata-location":${JSON.stringify(metadataLocation)},` +
    `"metadata":${metadataJson.trim()},` +
    `"config":${JSON.stringify(config)}}`
  );
}

/** Metadata files are immutable, so the location (with the FileIO config) identifies the body. */
function tableETag(metadataLocation: string, config: Record<string, string>): string {
  const h = createHash('sha256').update(metadataLocation).update('\n').update(JSON.stringify(config));
  return `"${h.digest('base64url')}"`;
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

export function icebergError(code: number, type: string, message: string): IcebergErrorBody {
  return { error: { message, type, code } };
}

function sendIcebergError(reply: FastifyReply, code: number, type: string, message: string): FastifyReply {
  return reply.code(code).type('application/json').send(JSON.stringify(icebergError(code, type, message)));
}

function typeForStatus(status: number): IcebergErrorType {
  switch (status) {
    case 400:
    case 413:
    case 415:
      return 'BadRequestException';
    case 401:
      return 'NotAuthorizedException';
    case 403:
      return 'ForbiddenException';
    case 404:
      return 'NotFoundException';
    case 405:
    case 406:
    case 501:
      return 'UnsupportedOperationException';
    case 503:
      return 'ServiceUnavailableException';
    default:
      return status >= 500 ? 'InternalServerError' : 'BadRequestException';
  }
}

type NsRequest = FastifyRequest<{ Params: { prefix?: string; namespace: string } }>;
type TableRequest = FastifyRequest<{ Params: { prefix?: string; namespace: string; table: string } }>;

// ---- the plugin ----------------------------------------------------------------------------

export const icebergRestCatalog: FastifyPluginAsync<IcebergRestCatalogOptions> = async (app, opts) => {
  const { catalog } = opts;

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof IcebergRestError) return sendIcebergError(reply, err.statusCode, err.type, err.message);
    // A name no table or namespace can have ('..', '.hidden', 'a/b') names nothing: not found.
    if (err instanceof InvalidIdentifierError) return sendIcebergError(reply, 404, err.what === 'table' ? 'NoSuchTableException' : 'NoSuchNamespaceException', err.message);
    const status = statusOf(err);
    if (status >= 500) {
      request.log.error({ err, method: request.method, url: request.url }, 'iceberg rest request failed');
      return sendIcebergError(reply, status, typeForStatus(status), 'internal error; see the lakegate log');
    }
    return sendIcebergError(reply, status, typeForStatus(status), err.message);
  });

  app.setNotFoundHandler((request, reply) =>
    sendIcebergError(reply, 404, 'NotFoundException', `no such endpoint: ${request.method} ${request.url.split('?')[0]}`),
  );

  async function requireNamespace(ns: Namespace): Promise<void> {
    if (!(await catalog.namespaceExists(ns))) {
      throw new IcebergRestError(404, 'NoSuchNamespaceException', `Namespace does not exist: ${showNamespace(ns)}`);
    }
  }

  async function loadOrThrow(request: TableRequest) {
    const ns = parseNamespace(request.params.namespace);
    const name = request.params.table;
    const loaded = await catalog.loadTable(ns, name);
    if (loaded) return loaded;
    // Always NoSuchTableException, even when the namespace is missing too: the spec lists no
    // other 404 for LoadTable, and Iceberg's Java client relies on it to fall back from
    // `ns.table.snapshots` (a table in namespace ns.table) to the metadata table `snapshots`.
    throw new IcebergRestError(404, 'NoSuchTableException', `Table does not exist: ${showNamespace(ns)}.${name}`);
  }

  app.get('/config', { schema: configSchema }, async () => ({
    defaults: {},
    overrides: {},
    endpoints: ICEBERG_ENDPOINTS,
  }));

  for (const base of ['', '/:prefix']) {
    app.get<{ Querystring: { parent?: string } }>(`${base}/namespaces`, { schema: listNamespacesSchema }, async (request) => {
      const rawParent = request.query.parent;
      if (rawParent === undefined || rawParent === '') {
        return { namespaces: await catalog.listNamespaces() };
      }
      const parent = parseNamespace(rawParent);
      await requireNamespace(parent);
      return { namespaces: await catalog.listNamespaces(parent) };
    });

    app.head(`${base}/namespaces/:namespace`, { schema: { params: namespaceParams } }, async (request: NsRequest, reply) => {
      await requireNamespace(parseNamespace(request.params.namespace));
      return reply.code(204).send();
    });

    app.get(
      `${base}/namespaces/:namespace`,
      { schema: namespaceSchemaRoute, exposeHeadRoute: false },
      async (request: NsRequest) => {
        const ns = parseNamespace(request.params.namespace);
        const properties = await catalog.namespaceProperties(ns);
        if (properties === null) {
          throw new IcebergRestError(404, 'NoSuchNamespaceException', `Namespace does not exist: ${showNamespace(ns)}`);
        }
        return { namespace: ns, properties };
      },
    );

    app.get(`${base}/namespaces/:namespace/tables`, { schema: listTablesSchema }, async (request: NsRequest) => {
      const ns = parseNamespace(request.params.namespace);
      await requireNamespace(ns);
      const names = await catalog.listTables(ns);
      return { identifiers: names.map((name) => ({ namespace: ns, name })) };
    });

    app.head(`${base}/namespaces/:namespace/tables/:table`, { schema: { params: tableParams } }, async (request: TableRequest, reply) => {
      await loadOrThrow(request);
      return reply.code(204).send();
    });

    app.get(
      `${base}/namespaces/:namespace/tables/:table`,
      { schema: loadTableSchema, exposeHeadRoute: false },
      async (request: TableRequest, reply) => {
        const loaded = await loadOrThrow(request);
        const config = catalog.fileIOConfig();
        const etag = tableETag(loaded.metadataLocation, config);
        reply.header('etag', etag);
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
        return reply
          .code(200)
          .type('application/json')
          .send(loadTableBody(loaded.metadataLocation, loaded.metadataJson, config));
      },
    );

    // Metrics reports (scan/commit) from engines: accepted and dropped.
    app.post(`${base}/namespaces/:namespace/tables/:table/metrics`, async (_request, reply) => reply.code(204).send());

    const noViews = async (request: FastifyRequest, reply: FastifyReply) =>
      sendIcebergError(
        reply,
        404,
        'NoSuchViewException',
        `lakegate serves no views: ${request.method} ${request.url.split('?')[0]}`,
      );
    app.all(`${base}/namespaces/:namespace/views`, noViews);
    app.all(`${base}/namespaces/:namespace/views/*`, noViews);
  }

  // Every other write (create/drop/rename/commit/register/update properties, transactions).
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    handler: async (request, reply) =>
      sendIcebergError(
        reply,
        406,
        'UnsupportedOperationException',
        `${READ_ONLY_MESSAGE}; ${request.method} ${request.url.split('?')[0]} is not supported`,
      ),
  });
};
