/**
 * The Confluent Schema Registry REST API (the subset serializers and tools use) as a fastify
 * plugin registered at the root of the HTTP port, next to /v1 (Iceberg) and /admin. The
 * semantics live in src/schema-registry/registry.ts; this file maps paths, query flags and
 * bodies onto it and renders Confluent's shapes: answers in
 * application/vnd.schemaregistry.v1+json, errors as {"error_code": 40401, "message": ...}.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../schema-registry/errors.js';
import { protoTextToDescriptor } from '../schema-registry/protobuf-descriptor.js';
import type { SchemaRegistry } from '../schema-registry/registry.js';
import {
  checkSubjectName,
  flag,
  parseCompatibilityBody,
  parseModeBody,
  parseSchemaId,
  parseSchemaRequest,
  parseVersion,
} from '../schema-registry/requests.js';
import type { SchemaVersionInfo } from '../schema-registry/store.js';
import type { StoredSchema } from '../schema-registry/types.js';
import { statusOf } from './problem.js';

export interface SchemaRegistryPluginOptions {
  registry: SchemaRegistry;
}

export const SCHEMA_REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Content types Confluent clients send bodies with (application/json is fastify's own). */
const REQUEST_CONTENT_TYPES = [SCHEMA_REGISTRY_CONTENT_TYPE, 'application/vnd.schemaregistry+json', 'application/octet-stream'];

type Query = Record<string, string | undefined>;
type SubjectParams = { subject: string };
type VersionParams = { subject: string; version: string };
type IdParams = { id: string };

/** Confluent leaves schemaType out for Avro and references out when there are none. */
function schemaFields(s: StoredSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.schemaType !== 'AVRO') out.schemaType = s.schemaType;
  if (s.references.length > 0) out.references = s.references;
  out.schema = s.schema;
  return out;
}

function versionBody(v: SchemaVersionInfo): Record<string, unknown> {
  return { subject: v.subject, version: v.version, id: v.id, ...schemaFields(v.schema) };
}

/**
 * `?format=serialized`: a Protobuf schema as Confluent serves it to its Protobuf
 * deserializers, the base64 of its FileDescriptorProto; any other schema (and any other
 * format, `resolved` included) as stored.
 */
async function formatted(registry: SchemaRegistry, s: StoredSchema, format: string | undefined): Promise<StoredSchema> {
  if (format !== 'serialized' || s.schemaType !== 'PROTOBUF') return s;
  return { ...s, schema: protoTextToDescriptor(await registry.resolve(s)) };
}

function errorBody(errorCode: number, message: string): string {
  return JSON.stringify({ error_code: errorCode, message });
}

export const schemaRegistryPlugin: FastifyPluginAsync<SchemaRegistryPluginOptions> = async (app, { registry }) => {
  app.addContentTypeParser(REQUEST_CONTENT_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch (err) {
      done(new RegistryError(400, 400, `Request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  // Every answer, errors and bare schema texts included, is Confluent's media type: clients
  // such as the kafkajs registry client (mappersmith) parse only JSON media types, and read
  // an error sent as text/plain as no error body at all.
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.hasHeader('content-type') ? String(reply.getHeader('content-type')) : '';
    if (type === '' || type.startsWith('application/json') || type.startsWith('text/plain')) reply.type(SCHEMA_REGISTRY_CONTENT_TYPE);
    return payload;
  });

  app.setErrorHandler((err: FastifyError | RegistryError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof RegistryError) return reply.code(err.status).send(errorBody(err.errorCode, err.message));
    const status = statusOf(err as FastifyError);
    if (status >= 500) {
      request.log.error({ err, method: request.method, url: request.url }, 'schema registry request failed');
      // 50001: Confluent's "error in the backend data store".
      return reply.code(500).send(errorBody(50001, 'Error in the backend data store; see the server log'));
    }
    return reply.code(status).send(errorBody(status, err.message));
  });

  const subjectOf = (params: SubjectParams) => {
    checkSubjectName(params.subject);
    return params.subject;
  };

  app.get('/', async () => ({}));

  // ---- schemas by id ----
  app.get('/schemas/types', async () => registry.schemaTypes());
  app.get<{ Querystring: Query }>('/schemas', async (req) =>
    registry
      .allVersions({ prefix: req.query.subjectPrefix ?? '', includeDeleted: flag(req.query.deleted), latestOnly: flag(req.query.latestOnly) })
      .map(versionBody),
  );
  app.get<{ Params: IdParams; Querystring: Query }>('/schemas/ids/:id', async (req) =>
    schemaFields(await formatted(registry, registry.schemaById(parseSchemaId(req.params.id)), req.query.format)),
  );
  app.get<{ Params: IdParams; Querystring: Query }>('/schemas/ids/:id/schema', async (req, reply) =>
    reply.send((await formatted(registry, registry.schemaById(parseSchemaId(req.params.id)), req.query.format)).schema),
  );
  app.get<{ Params: IdParams; Querystring: Query }>('/schemas/ids/:id/subjects', async (req) => [
    ...new Set(registry.versionsOfId(parseSchemaId(req.params.id), flag(req.query.deleted)).map((v) => v.subject)),
  ]);
  app.get<{ Params: IdParams; Querystring: Query }>('/schemas/ids/:id/versions', async (req) =>
    registry.versionsOfId(parseSchemaId(req.params.id), flag(req.query.deleted)).map((v) => ({ subject: v.subject, version: v.version })),
  );

  // ---- subjects and versions ----
  app.get<{ Querystring: Query }>('/subjects', async (req) => registry.subjects(flag(req.query.deleted), req.query.subjectPrefix ?? ''));
  app.get<{ Params: SubjectParams; Querystring: Query }>('/subjects/:subject/versions', async (req) =>
    registry.versions(subjectOf(req.params), flag(req.query.deleted)),
  );
  app.post<{ Params: SubjectParams; Querystring: Query }>('/subjects/:subject/versions', async (req) => {
    const { id } = await registry.register(subjectOf(req.params), parseSchemaRequest(req.body), flag(req.query.normalize));
    return { id };
  });
  app.post<{ Params: SubjectParams; Querystring: Query }>('/subjects/:subject', async (req) => {
    const found = registry.lookup(subjectOf(req.params), parseSchemaRequest(req.body), {
      normalize: flag(req.query.normalize),
      includeDeleted: flag(req.query.deleted),
    });
    return versionBody({ ...found, schema: await formatted(registry, found.schema, req.query.format) });
  });
  app.delete<{ Params: SubjectParams; Querystring: Query }>('/subjects/:subject', async (req) =>
    registry.deleteSubject(subjectOf(req.params), flag(req.query.permanent)),
  );
  app.get<{ Params: VersionParams; Querystring: Query }>('/subjects/:subject/versions/:version', async (req) => {
    const found = registry.version(subjectOf(req.params), parseVersion(req.params.version), flag(req.query.deleted));
    return versionBody({ ...found, schema: await formatted(registry, found.schema, req.query.format) });
  });
  app.get<{ Params: VersionParams; Querystring: Query }>('/subjects/:subject/versions/:version/schema', async (req, reply) => {
    const found = registry.version(subjectOf(req.params), parseVersion(req.params.version), flag(req.query.deleted));
    return reply.send((await formatted(registry, found.schema, req.query.format)).schema);
  });
  app.get<{ Params: VersionParams }>('/subjects/:subject/versions/:version/referencedby', async (req) =>
    registry.referencedBy(subjectOf(req.params), parseVersion(req.params.version)),
  );
  app.delete<{ Params: VersionParams; Querystring: Query }>('/subjects/:subject/versions/:version', async (req) =>
    registry.deleteVersion(subjectOf(req.params), parseVersion(req.params.version), flag(req.query.permanent)),
  );

  // ---- compatibility ----
  const compatibility = (subject: string, version: string | undefined, req: FastifyRequest<{ Querystring: Query }>) => {
    const result = registry.checkCompatibility(
      subject,
      version === undefined ? undefined : parseVersion(version),
      parseSchemaRequest(req.body),
      flag(req.query.normalize),
    );
    return flag(req.query.verbose) ? { is_compatible: result.isCompatible, messages: result.messages } : { is_compatible: result.isCompatible };
  };
  app.post<{ Params: VersionParams; Querystring: Query }>('/compatibility/subjects/:subject/versions/:version', async (req) =>
    compatibility(subjectOf(req.params), req.params.version, req),
  );
  app.post<{ Params: SubjectParams; Querystring: Query }>('/compatibility/subjects/:subject/versions', async (req) =>
    compatibility(subjectOf(req.params), undefined, req),
  );

  // ---- config (compatibility levels) ----
  app.get('/config', async () => ({ compatibilityLevel: registry.getConfig(null, true) }));
  app.put('/config', async (req) => ({ compatibility: await registry.setConfig(null, parseCompatibilityBody(req.body)) }));
  app.delete('/config', async () => ({ compatibilityLevel: await registry.deleteConfig(null) }));
  app.get<{ Params: SubjectParams; Querystring: Query }>('/config/:subject', async (req) => ({
    compatibilityLevel: registry.getConfig(subjectOf(req.params), flag(req.query.defaultToGlobal)),
  }));
  app.put<{ Params: SubjectParams }>('/config/:subject', async (req) => ({
    compatibility: await registry.setConfig(subjectOf(req.params), parseCompatibilityBody(req.body)),
  }));
  app.delete<{ Params: SubjectParams }>('/config/:subject', async (req) => ({ compatibilityLevel: await registry.deleteConfig(subjectOf(req.params)) }));

  // ---- mode ----
  app.get('/mode', async () => ({ mode: registry.getMode(null, true) }));
  // ?force=true enters IMPORT even while subjects exist (Confluent refuses it otherwise, 42205).
  app.put<{ Querystring: Query }>('/mode', async (req) => ({ mode: await registry.setMode(null, parseModeBody(req.body), flag(req.query.force)) }));
  app.get<{ Params: SubjectParams; Querystring: Query }>('/mode/:subject', async (req) => ({
    mode: registry.getMode(subjectOf(req.params), flag(req.query.defaultToGlobal)),
  }));
  app.put<{ Params: SubjectParams; Querystring: Query }>('/mode/:subject', async (req) => ({
    mode: await registry.setMode(subjectOf(req.params), parseModeBody(req.body), flag(req.query.force)),
  }));
  app.delete<{ Params: SubjectParams }>('/mode/:subject', async (req) => ({ mode: await registry.deleteMode(subjectOf(req.params)) }));

  // Unknown paths under the registry's own prefixes answer in Confluent's shape, not problem+json.
  for (const prefix of ['/subjects', '/schemas', '/config', '/mode', '/compatibility']) {
    app.all(`${prefix}/*`, async () => {
      throw new RegistryError(404, 404, 'HTTP 404 Not Found');
    });
  }
};
