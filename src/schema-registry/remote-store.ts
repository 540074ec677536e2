/**
 * SchemaStore over HTTP against an external Confluent-compatible schema registry
 * (--schema-registry-url: Confluent Schema Registry, Karapace, another lakegate, ...).
 *
 * What it asks:
 *   GET /schemas/ids/{id}                          getById
 *   GET /subjects/{subject}/versions/{version}     getVersion, and each reference while resolving
 *   GET /subjects/{subject}/versions?deleted=true  subjectSchemaIds (then one version lookup,
 *                                                  with ?deleted=true, per version not seen yet)
 *
 * Caching: a schema id never changes content, and a subject's version number never changes
 * the schema it holds, so both are kept once seen (bounded: least recently used dropped).
 * What can change, the subject's latest version and its version list, is asked every time:
 * a record produced right after its schema was registered must find that schema (a stale
 * list would turn it into a validation failure or a dead letter). Calls that arrive while
 * such a request is in flight share the next one, never one that started before them.
 *
 * Answers are checked before they are used (shape and types), bounded in size, and every
 * request has a deadline. A registry that cannot be reached, answers late or answers
 * something else than a registry would gives an Error naming the registry's URL (without
 * its password); "not found" (404 with Confluent's error_code) is undefined or empty.
 */
import type { SchemaVersionInfo, SchemaStore } from './store.js';
import { SCHEMA_TYPES, type ResolvedSchema, type SchemaReference, type SchemaType, type StoredSchema } from './types.js';

export interface RemoteSchemaStoreOptions {
  /** Deadline of one HTTP request (default 10 s). */
  timeoutMs?: number;
  /** Largest response body accepted (default 16 MiB). */
  maxResponseBytes?: number;
  /** Schemas by id and subject versions kept in memory, each (default 10,000). */
  cacheEntries?: number;
  /** For tests: the fetch to use (default the global fetch). */
  fetch?: typeof fetch;
}

const DEFAULTS = { timeoutMs: 10_000, maxResponseBytes: 16 * 1024 * 1024, cacheEntries: 10_000 } as const;
const MAX_REFERENCE_DEPTH = 32;
const ACCEPT = 'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json';

/** Confluent's "not found" error codes: subject, version, schema. */
const NOT_FOUND_CODES = new Set([40401, 40402, 40403]);

type Json = unknown;

/** A Map that forgets its least recently used entry beyond `limit`. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }
  delete(key: K): void {
    this.map.delete(key);
  }
}

/**
 * Runs `load` for callers, sharing requests: a call joins the request queued to start after
 * the one in flight (so its answer is never older than the call), or starts one.
 */
class FreshLoader<T> {
  private inFlight: Promise<T> | null = null;
  private next: Promise<T> | null = null;
  constructor(private readonly load: () => Promise<T>) {}
  get(): Promise<T> {
    if (this.next) return this.next;
    if (!this.inFlight) return this.start();
    const previous = this.inFlight;
    this.next = previous.then(
      () => this.start(),
      () => this.start(),
    );
    return this.next;
  }
  private start(): Promise<T> {
    this.next = null;
    const p = this.load();
    this.inFlight = p;
    const clear = () => {
      if (this.inFlight === p) this.inFlight = null;
    };
    p.then(clear, clear);
    return p;
  }
}

export class RemoteRegistryError extends Error {}

export class RemoteSchemaStore implements SchemaStore {
  /** The base URL without credentials and trailing slash, as errors and logs name it. */
  readonly url: string;
  private readonly base: string;
  private readonly authorization: string | undefined;
  private readonly options: Required<Omit<RemoteSchemaStoreOptions, 'fetch'>>;
  private readonly fetchImpl: typeof fetch;
  private readonly byId: Lru<number, StoredSchema>;
  /** `${subject}\0${version}` -> the version (soft-deleted ones included). */
  private readonly versions: Lru<string, SchemaVersionInfo>;
  /** Version numbers cached per subject, to forget the ones that were hard-deleted. */
  private readonly knownVersions = new Map<string, Set<number>>();
  private readonly lists = new Map<string, FreshLoader<number[]>>();
  private readonly latest = new Map<string, FreshLoader<SchemaVersionInfo | undefined>>();

  constructor(url: string, options: RemoteSchemaStoreOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RemoteRegistryError(`schema registry URL is not a URL: ${url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RemoteRegistryError(`schema registry URL must be http or https: ${url}`);
    if (parsed.search || parsed.hash) throw new RemoteRegistryError(`schema registry URL must not have a query or fragment: ${url}`);
    // fetch refuses URLs with credentials: they become a Basic Authorization header.
    if (parsed.username || parsed.password) {
      const user = decodeURIComponent(parsed.username);
      const password = decodeURIComponent(parsed.password);
      this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    this.base = parsed.toString().replace(/\/+$/, '');
    this.url = this.base;
    this.options = { ...DEFAULTS, ...stripUndefined(options) };
    this.fetchImpl = options.fetch ?? fetch;
    this.byId = new Lru(this.options.cacheEntries);
    this.versions = new Lru(this.options.cacheEntries);
  }

  /** Throws unless the registry answers GET /subjects with a list (a start-up check). */
  async probe(): Promise<void> {
    const body = await this.get('/subjects');
    if (!Array.isArray(body)) throw new RemoteRegistryError(`${this.where('/subjects')} answered something other than a list of subjects (is ${this.url} a schema registry?)`);
  }

  async getById(id: number): Promise<StoredSchema | undefined> {
    if (!Number.isSafeInteger(id) || id < 0) return undefined;
    const cached = this.byId.get(id);
    if (cached) return cached;
    const body = await this.get(`/schemas/ids/${id}`);
    if (body === undefined) return undefined;
    const schema = parseSchema(body, id, this.where(`/schemas/ids/${id}`));
    this.byId.set(id, schema);
    return schema;
  }

  async getVersion(subject: string, version: number | 'latest'): Promise<SchemaVersionInfo | undefined> {
    if (version === 'latest') {
      let loader = this.latest.get(subject);
      if (!loader) {
        loader = new FreshLoader(() => this.fetchVersion(subject, 'latest', false));
        this.latest.set(subject, loader);
      }
      return loader.get();
    }
    // Asked every time: whether the version is still live can change (its content cannot).
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    const v = await this.fetchVersion(subject, version, false);
    if (v) this.remember(v);
    return v;
  }

  async subjectSchemaIds(subject: string): Promise<number[]> {
    let loader = this.lists.get(subject);
    if (!loader) {
      loader = new FreshLoader(() => this.loadSubjectSchemaIds(subject));
      this.lists.set(subject, loader);
    }
    return loader.get();
  }

  async resolve(schema: StoredSchema): Promise<ResolvedSchema> {
    return { ...schema, dependencies: await this.resolveReferences(schema.references, 0) };
  }

  private async resolveReferences(references: SchemaReference[], depth: number): Promise<Map<string, ResolvedSchema>> {
    if (depth > MAX_REFERENCE_DEPTH) throw new RemoteRegistryError(`schema references at ${this.url} nest deeper than ${MAX_REFERENCE_DEPTH}`);
    const out = new Map<string, ResolvedSchema>();
    for (const r of references) {
      const v = await this.version(r.subject, r.version);
      if (!v) throw new RemoteRegistryError(`schema reference ${r.name} names subject ${r.subject} version ${r.version}, which ${this.url} does not have`);
      const s = v.schema;
      out.set(r.name, { schemaType: s.schemaType, schema: s.schema, references: s.references, dependencies: await this.resolveReferences(s.references, depth + 1) });
    }
    return out;
  }

  /** A numbered version, soft-deleted ones included (cached: it never changes). */
  private async version(subject: string, version: number): Promise<SchemaVersionInfo | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    const key = `${subject}\0${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const v = await this.fetchVersion(subject, version, true);
    if (v) this.remember(v);
    return v;
  }

  private remember(v: SchemaVersionInfo): void {
    this.versions.set(`${v.subject}\0${v.version}`, v);
    let known = this.knownVersions.get(v.subject);
    if (!known) this.knownVersions.set(v.subject, (known = new Set()));
    known.add(v.version);
  }

  private async fetchVersion(subject: string, version: number | 'latest', includeDeleted: boolean): Promise<SchemaVersionInfo | undefined> {
    const path = `/subjects/${encodeURIComponent(subject)}/versions/${version}${includeDeleted ? '?deleted=true' : ''}`;
    const body = await this.get(path);
    if (body === undefined) return undefined;
    const where = this.where(path);
    const o = object(body, where);
    const id = integer(o.id, 'id', where);
    const number = integer(o.version, 'version', where);
    if (o.subject !== undefined && o.subject !== subject) throw new RemoteRegistryError(`${where} answered for subject ${JSON.stringify(o.subject)}, not ${JSON.stringify(subject)}`);
    if (version !== 'latest' && number !== version) throw new RemoteRegistryError(`${where} answered version ${number}`);
    const schema = parseSchema(o, id, where);
    // `deleted` is not part of Confluent's answer; nothing here reads it from a remote version.
    const info: SchemaVersionInfo = { subject, version: number, id, deleted: false, schema };
    if (!this.byId.get(id)) this.byId.set(id, schema);
    return info;
  }

  private async loadSubjectSchemaIds(subject: string): Promise<number[]> {
    const path = `/subjects/${encodeURIComponent(subject)}/versions?deleted=true`;
    const body = await this.get(path);
    if (body === undefined) return [];
    const where = this.where(path);
    if (!Array.isArray(body)) throw new RemoteRegistryError(`${where} answered something other than a list of versions`);
    const numbers = body.map((v, i) => integer(v, `[${i}]`, where));
    // A version that is gone was hard-deleted; its number may be handed out again.
    const present = new Set(numbers);
    const known = this.knownVersions.get(subject);
    for (const v of known ?? []) {
      if (present.has(v)) continue;
      this.versions.delete(`${subject}\0${v}`);
      known!.delete(v);
    }
    const ids: number[] = [];
    for (const n of numbers) {
      const v = await this.version(subject, n);
      // Listed a moment ago, gone now (hard-deleted meanwhile): nothing to decode with.
      if (v && !ids.includes(v.id)) ids.push(v.id);
    }
    return ids;
  }

  private where(path: string): string {
    return `${this.url}${path}`;
  }

  /** GET path: the parsed JSON body, or undefined for Confluent's 404 "not found" answers. */
  private async get(path: string): Promise<Json | undefined> {
    const where = this.where(path);
    const headers: Record<string, string> = { accept: ACCEPT };
    if (this.authorization) headers.authorization = this.authorization;
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}${path}`, { headers, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (err) {
      throw new RemoteRegistryError(`schema registry ${this.url} is unreachable (GET ${path}): ${describe(err, this.options.timeoutMs)}`, { cause: err });
    }
    let text: string;
    try {
      text = await readBounded(res, this.options.maxResponseBytes);
    } catch (err) {
      throw new RemoteRegistryError(`schema registry ${this.url}: reading the answer to GET ${path} failed: ${describe(err, this.options.timeoutMs)}`, { cause: err });
    }
    let body: Json;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RemoteRegistryError(`${where} answered HTTP ${res.status} with a body that is not JSON (is ${this.url} a schema registry?): ${snippet(text)}`);
    }
    if (res.status === 404) {
      const code = (body as { error_code?: unknown } | null)?.error_code;
      if (typeof code === 'number' && NOT_FOUND_CODES.has(code)) return undefined;
      throw new RemoteRegistryError(`${where} answered HTTP 404 without a schema registry error code (is ${this.url} a schema registry?): ${snippet(text)}`);
    }
    if (res.status < 200 || res.status > 299) {
      const message = (body as { message?: unknown } | null)?.message;
      throw new RemoteRegistryError(`${where} answered HTTP ${res.status}${typeof message === 'string' ? `: ${message}` : `: ${snippet(text)}`}`);
    }
    return body;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describe(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  return cause?.code ? `${msg} (${cause.code})` : cause?.message ? `${msg} (${cause.message})` : msg;
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}...` : t;
}

/** The body as text, refusing (and cancelling) one larger than `max` bytes. */
async function readBounded(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`the answer is ${declared} bytes, more than the ${max} accepted`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new Error(`the answer is more than the ${max} bytes accepted`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function object(body: Json, where: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RemoteRegistryError(`${where} answered something other than a JSON object`);
  return body as Record<string, unknown>;
}

function integer(v: unknown, field: string, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new RemoteRegistryError(`${where} answered a ${field} that is not a non-negative integer: ${JSON.stringify(v)}`);
  return v;
}

/** The schema fields of an answer: schema (string), schemaType (default AVRO), references. */
function parseSchema(body: Json, id: number, where: string): StoredSchema {
  const o = object(body, where);
  if (typeof o.schema !== 'string') throw new RemoteRegistryError(`${where} answered without a schema string`);
  const type = o.schemaType ?? 'AVRO';
  if (typeof type !== 'string' || !(SCHEMA_TYPES as readonly string[]).includes(type)) throw new RemoteRegistryError(`${where} answered an unknown schemaType ${JSON.stringify(type)}`);
  const refs = o.references ?? [];
  if (!Array.isArray(refs)) throw new RemoteRegistryError(`${where} answered references that are not a list`);
  const references = refs.map((r: unknown, i: number): SchemaReference => {
    const ro = object(r, `${where} (references[${i}])`);
    if (typeof ro.name !== 'string' || typeof ro.subject !== 'string') throw new RemoteRegistryError(`${where} answered references[${i}] without name and subject`);
    return { name: ro.name, subject: ro.subject, version: integer(ro.version, `references[${i}].version`, where) };
  });
  return { id, schemaType: type as SchemaType, schema: o.schema, references };
}
