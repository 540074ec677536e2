/**
 * The built-in schema registry: Confluent's semantics (identical schemas keep their id, the
 * same schema under two subjects shares one id, soft then hard deletes, compatibility levels
 * per subject, modes) over a RegistryState rebuilt from a RegistryJournal. Every change is
 * decided and journaled under one lock, then applied, so concurrent requests never interleave
 * a check with someone else's write, and nothing is answered before it is durable.
 */
import { logger } from '../logger.js';
import { buildValueDecoder } from '../record-validation/value-decoders.js';
import { HANDLERS, compatibilityIssues, type ParsedVersion } from './compatibility.js';
import {
  RegistryError,
  incompatibleSchema,
  invalidSchema,
  operationNotPermitted,
  referenceExists,
  schemaNotFound,
  subjectConfigNotFound,
  subjectModeNotFound,
  subjectNotFound,
  subjectNotSoftDeleted,
  subjectSoftDeleted,
  versionNotFound,
  versionNotSoftDeleted,
  versionSoftDeleted,
} from './errors.js';
import type { RegistryEvent, RegistryJournal } from './events.js';
import { checkSubjectName, type SchemaRequest, type VersionSpec } from './requests.js';
import { RegistryState, contentKey } from './state.js';
import { descriptorToProtoText } from './protobuf-descriptor.js';
import type { SchemaStore, SchemaVersionInfo } from './store.js';
import {
  SCHEMA_TYPES,
  type CompatibilityLevel,
  type Mode,
  type ResolvedSchema,
  type SchemaReference,
  type SchemaType,
  type StoredSchema,
  type SubjectVersion,
} from './types.js';

/** A request's schema made ready: the text to store, its identity, and its parsed form. */
interface PreparedSchema {
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  key: string;
  parsed: unknown;
}

export interface CompatibilityResult {
  isCompatible: boolean;
  messages: string[];
}

const MAX_REFERENCE_DEPTH = 32;

export class SchemaRegistry implements SchemaStore {
  private readonly state = new RegistryState();
  /** Parsed forms of stored schemas, by id: compatibility checks reuse them. */
  private readonly parsedById = new Map<number, unknown>();
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(private readonly journal: RegistryJournal) {}

  static async open(journal: RegistryJournal): Promise<SchemaRegistry> {
    const registry = new SchemaRegistry(journal);
    for await (const event of journal.replay()) {
      try {
        registry.state.apply(event);
      } catch (err) {
        // Only a record written to the journal behind the registry's back can get here.
        logger.warn({ err, event: { type: event.type, subject: 'subject' in event ? event.subject : undefined } }, 'skipping a schema registry event that cannot be applied');
      }
    }
    return registry;
  }

  // ---- SchemaStore (the read side other modules use) ----

  async getById(id: number): Promise<StoredSchema | undefined> {
    return this.state.schemas.get(id);
  }

  async getVersion(subject: string, version: number | 'latest'): Promise<SchemaVersionInfo | undefined> {
    const live = this.state.versionsOf(subject, false);
    const binding = version === 'latest' ? live.at(-1) : live.find((v) => v.version === version);
    return binding && { ...binding, schema: this.state.schemas.get(binding.id)! };
  }

  async subjectSchemaIds(subject: string): Promise<number[]> {
    return [...new Set(this.state.versionsOf(subject, true).map((v) => v.id))];
  }

  async resolve(schema: StoredSchema): Promise<ResolvedSchema> {
    return { ...schema, dependencies: this.resolveReferences(schema.references, 0) };
  }

  // ---- reads ----

  schemaTypes(): string[] {
    return [...SCHEMA_TYPES];
  }

  subjects(includeDeleted: boolean, prefix = ''): string[] {
    return [...this.state.subjects.keys()]
      .filter((s) => s.startsWith(prefix) && this.state.versionsOf(s, includeDeleted).length > 0)
      .sort();
  }

  /** The subject's version numbers; 40401 when it has none (live ones unless includeDeleted). */
  versions(subject: string, includeDeleted: boolean): number[] {
    const versions = this.state.versionsOf(subject, includeDeleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions.map((v) => v.version);
  }

  version(subject: string, spec: VersionSpec, includeDeleted: boolean): SchemaVersionInfo {
    const versions = this.state.versionsOf(subject, includeDeleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    const binding = spec === 'latest' ? versions.at(-1) : versions.find((v) => v.version === spec);
    if (!binding) throw versionNotFound(spec);
    return { ...binding, schema: this.state.schemas.get(binding.id)! };
  }

  schemaById(id: number): StoredSchema {
    const schema = this.liveSchema(id);
    if (!schema) throw schemaNotFound(`Schema ${id} not found`);
    return schema;
  }

  /** The (subject, version) pairs holding schema `id`; 40403 when there are none. */
  versionsOfId(id: number, includeDeleted: boolean): SubjectVersion[] {
    this.schemaById(id);
    return [...this.state.bindings()]
      .filter((b) => b.id === id && (includeDeleted || !b.deleted))
      .sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
  }

  /** Ids of the live schemas that reference this subject version. */
  referencedBy(subject: string, spec: VersionSpec): number[] {
    const target = this.version(subject, spec, false);
    return this.referrers(subject, target.version).sort((a, b) => a - b);
  }

  /** Every live version, for GET /schemas; latestOnly keeps each subject's highest. */
  allVersions(opts: { prefix: string; includeDeleted: boolean; latestOnly: boolean }): SchemaVersionInfo[] {
    const out: SchemaVersionInfo[] = [];
    for (const subject of this.subjects(opts.includeDeleted, opts.prefix)) {
      const versions = this.state.versionsOf(subject, opts.includeDeleted);
      for (const v of opts.latestOnly ? versions.slice(-1) : versions) out.push({ ...v, schema: this.state.schemas.get(v.id)! });
    }
    return out;
  }

  lookup(subject: string, request: SchemaRequest, opts: { normalize: boolean; includeDeleted: boolean }): SchemaVersionInfo {
    const versions = this.state.versionsOf(subject, opts.includeDeleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    const prepared = this.prepare(request, opts.normalize);
    const match = [...versions].reverse().find((v) => this.sameContent(v.id, prepared, request, opts.normalize));
    if (!match) throw schemaNotFound();
    return { ...match, schema: this.state.schemas.get(match.id)! };
  }

  checkCompatibility(subject: string, spec: VersionSpec | undefined, request: SchemaRequest, normalize: boolean): CompatibilityResult {
    const prepared = this.prepare(request, normalize);
    const live = this.state.versionsOf(subject, false);
    let against: SubjectVersion[] = live;
    if (spec !== undefined) {
      if (live.length === 0) throw subjectNotFound(subject);
      const target = spec === 'latest' ? live.at(-1) : live.find((v) => v.version === spec);
      if (!target) throw versionNotFound(spec);
      against = [target];
    }
    const messages = compatibilityIssues(this.compatibilityOf(subject), prepared, this.parsedVersions(against));
    return { isCompatible: messages.length === 0, messages };
  }

  // ---- config and mode ----

  compatibilityOf(subject: string): CompatibilityLevel {
    return this.state.subjectCompatibility.get(subject) ?? this.state.globalCompatibility;
  }

  getConfig(subject: string | null, defaultToGlobal: boolean): CompatibilityLevel {
    if (subject === null) return this.state.globalCompatibility;
    const level = this.state.subjectCompatibility.get(subject);
    if (level) return level;
    if (defaultToGlobal) return this.state.globalCompatibility;
    throw subjectConfigNotFound(subject);
  }

  setConfig(subject: string | null, level: CompatibilityLevel): Promise<CompatibilityLevel> {
    if (subject !== null) checkSubjectName(subject);
    return this.exclusive(async () => {
      await this.commit([{ type: 'config', subject, compatibility: level }]);
      return level;
    });
  }

  /** Removes a subject's level (or resets the global one) and returns the one it replaced. */
  deleteConfig(subject: string | null): Promise<CompatibilityLevel> {
    return this.exclusive(async () => {
      const previous = subject === null ? this.state.globalCompatibility : this.state.subjectCompatibility.get(subject);
      if (!previous) throw this.state.subjects.has(subject!) ? subjectConfigNotFound(subject!) : subjectNotFound(subject!);
      await this.commit([{ type: 'config', subject, compatibility: null }]);
      return previous;
    });
  }

  modeOf(subject: string): Mode {
    return this.state.subjectModes.get(subject) ?? this.state.globalMode;
  }

  getMode(subject: string | null, defaultToGlobal: boolean): Mode {
    if (subject === null) return this.state.globalMode;
    const mode = this.state.subjectModes.get(subject);
    if (mode) return mode;
    if (defaultToGlobal) return this.state.globalMode;
    throw subjectModeNotFound(subject);
  }

  /**
   * Sets the global mode (subject null) or a subject's. Entering IMPORT is refused while the
   * scope holds a live version, unless `force`: imported schemas keep the ids and versions of
   * the registry they come from, which may already be taken here. Entering it without `force`
   * also removes the scope's soft-deleted versions (as Confluent's ClearSubject does), in the
   * same journal append as the mode, so that imported versions may take their numbers; one a
   * live schema still references stays.
   */
  setMode(subject: string | null, mode: Mode, force = false): Promise<Mode> {
    if (subject !== null) checkSubjectName(subject);
    return this.exclusive(async () => {
      const events: RegistryEvent[] = [];
      if (mode === 'IMPORT' && !force && this.modeInScope(subject) !== 'IMPORT') {
        if (this.hasLiveSubjects(subject)) throw operationNotPermitted('Cannot import since found existing subjects');
        for (const v of this.state.bindings()) {
          if (v.deleted && (subject === null || v.subject === subject) && this.referrers(v.subject, v.version).length === 0) {
            events.push(this.deletion(v, true));
          }
        }
      }
      events.push({ type: 'mode', subject, mode });
      await this.commit(events);
      return mode;
    });
  }

  deleteMode(subject: string): Promise<Mode> {
    return this.exclusive(async () => {
      const previous = this.state.subjectModes.get(subject);
      if (!previous) throw subjectModeNotFound(subject);
      await this.commit([{ type: 'mode', subject, mode: null }]);
      return previous;
    });
  }

  // ---- changes ----

  /** Registers a schema under a subject; an identical live version returns its id unchanged. */
  register(subject: string, request: SchemaRequest, normalize: boolean): Promise<{ id: number; version: number }> {
    checkSubjectName(subject);
    return this.exclusive(async () => {
      const mode = this.modeOf(subject);
      this.checkWritable(subject, mode);
      const importing = mode === 'IMPORT';
      if ((request.id !== undefined || request.version !== undefined) && !importing) {
        throw operationNotPermitted(`Subject ${subject} is not in import mode; id and version cannot be given`);
      }
      const prepared = this.prepare(request, normalize);
      const live = this.state.versionsOf(subject, false);
      const same = live.find((v) => this.sameContent(v.id, prepared, request, normalize));
      if (same && (request.id === undefined || request.id === same.id)) return { id: same.id, version: same.version };
      if (!importing) {
        const issues = compatibilityIssues(this.compatibilityOf(subject), prepared, this.parsedVersions(live));
        if (issues.length > 0) throw incompatibleSchema(subject, issues);
      }
      const id = this.idFor(prepared, request.id);
      const all = this.state.versionsOf(subject, true);
      const version = request.version ?? (all.at(-1)?.version ?? 0) + 1;
      if (all.some((v) => v.version === version)) throw operationNotPermitted(`Subject ${subject} already has a version ${version}`);
      const { schemaType, schema, references } = prepared;
      await this.commit([{ type: 'version', subject, version, id, schemaType, schema, references, deleted: false }]);
      this.parsedById.set(id, prepared.parsed);
      return { id, version };
    });
  }

  deleteVersion(subject: string, spec: VersionSpec, permanent: boolean): Promise<number> {
    return this.exclusive(async () => {
      this.checkWritable(subject, this.modeOf(subject));
      const all = this.state.versionsOf(subject, true);
      if (all.length === 0) throw subjectNotFound(subject);
      const candidates = permanent ? all : all.filter((v) => !v.deleted);
      const target = spec === 'latest' ? candidates.at(-1) : all.find((v) => v.version === spec);
      if (!target) throw versionNotFound(spec);
      if (!permanent && target.deleted) throw versionSoftDeleted(subject, target.version);
      if (permanent && !target.deleted) throw versionNotSoftDeleted(subject, target.version);
      this.checkNotReferenced(subject, target.version);
      await this.commit([this.deletion(target, permanent)]);
      return target.version;
    });
  }

  /** Soft-deletes every live version, or (permanent) removes every soft-deleted one. */
  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.exclusive(async () => {
      this.checkWritable(subject, this.modeOf(subject));
      const all = this.state.versionsOf(subject, true);
      if (all.length === 0) throw subjectNotFound(subject);
      const live = all.filter((v) => !v.deleted);
      if (!permanent && live.length === 0) throw subjectSoftDeleted(subject);
      if (permanent && live.length > 0) throw subjectNotSoftDeleted(subject);
      const targets = permanent ? all : live;
      for (const v of targets) this.checkNotReferenced(subject, v.version);
      const events: RegistryEvent[] = targets.map((v) => this.deletion(v, permanent));
      if (permanent && this.state.subjectCompatibility.has(subject)) events.push({ type: 'config', subject, compatibility: null });
      if (permanent && this.state.subjectModes.has(subject)) events.push({ type: 'mode', subject, mode: null });
      await this.commit(events);
      return targets.map((v) => v.version);
    });
  }

  // ---- internals ----

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => {});
    return run;
  }

  private async commit(events: RegistryEvent[]): Promise<void> {
    await this.journal.append(events);
    for (const event of events) this.state.apply(event);
  }

  /** The mode in force for the subject (its own, else the global one), or the global one. */
  private modeInScope(subject: string | null): Mode {
    return subject === null ? this.state.globalMode : this.modeOf(subject);
  }

  /** Whether any subject (subject null), or this one, has a version that is not soft-deleted. */
  private hasLiveSubjects(subject: string | null): boolean {
    for (const v of this.state.bindings()) if (!v.deleted && (subject === null || v.subject === subject)) return true;
    return false;
  }

  private checkWritable(subject: string, mode: Mode): void {
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') throw operationNotPermitted(`Subject ${subject} is in read-only mode`);
  }

  private deletion(v: SubjectVersion, permanent: boolean): RegistryEvent {
    if (permanent) return { type: 'version-removed', subject: v.subject, version: v.version };
    const s = this.state.schemas.get(v.id)!;
    return { type: 'version', subject: v.subject, version: v.version, id: v.id, schemaType: s.schemaType, schema: s.schema, references: s.references, deleted: true };
  }

  /** A schema still held by some version (live or soft-deleted); hard-deleted content is not served. */
  private liveSchema(id: number): StoredSchema | undefined {
    const schema = this.state.schemas.get(id);
    if (!schema) return undefined;
    for (const b of this.state.bindings()) if (b.id === id) return schema;
    return undefined;
  }

  private referrers(subject: string, version: number): number[] {
    const ids = new Set<number>();
    for (const b of this.state.bindings()) {
      if (b.deleted) continue;
      const s = this.state.schemas.get(b.id)!;
      if (s.references.some((r) => r.subject === subject && r.version === version)) ids.add(b.id);
    }
    return [...ids];
  }

  private checkNotReferenced(subject: string, version: number): void {
    const ids = this.referrers(subject, version);
    if (ids.length > 0) throw referenceExists(`One or more references exist to the schema {subject=${subject},version=${version}}: schema ids ${ids.join(', ')}`);
  }

  /** The id for new content: the id it already has (in any subject), the one imported, or the next one. */
  private idFor(prepared: PreparedSchema, requested: number | undefined): number {
    const existing = this.state.idsByContent.get(prepared.key);
    if (requested === undefined) return existing ?? this.state.nextId;
    const holder = this.state.schemas.get(requested);
    if (holder && existing !== requested) {
      throw new RegistryError(422, 42207, `Overwrite new schema with id ${requested} is not permitted.`);
    }
    return requested;
  }

  private sameContent(id: number, prepared: PreparedSchema, request: SchemaRequest, normalize: boolean): boolean {
    const stored = this.state.schemas.get(id)!;
    const handler = HANDLERS[stored.schemaType];
    if (contentKey(stored.schemaType, handler.canonical(stored.schema, false), stored.references) === prepared.key) return true;
    if (!normalize || stored.schemaType !== request.schemaType) return false;
    return (
      JSON.stringify(stored.references) === JSON.stringify(prepared.references) &&
      handler.canonical(stored.schema, true) === handler.canonical(prepared.schema, true)
    );
  }

  /** Canonicalises, resolves references and parses a requested schema (42201 when invalid). */
  private prepare(request: SchemaRequest, normalize: boolean): PreparedSchema {
    const { schemaType } = request;
    const handler = HANDLERS[schemaType];
    const references = request.references.map((r) => this.pinReference(r));
    // Confluent's Python/Go ProtobufSerializer sends a base64 FileDescriptorProto; like
    // Confluent's registry, keep (and identify) the schema by its .proto text.
    if (schemaType === 'PROTOBUF') {
      const text = descriptorToProtoText(request.schema);
      if (text !== undefined) request = { ...request, schema: text };
    }
    let schema: string;
    try {
      // Avro and JSON are stored minified (as Confluent does); .proto text as written unless normalised.
      schema = schemaType === 'PROTOBUF' && !normalize ? request.schema : handler.canonical(request.schema, normalize);
    } catch (err) {
      throw invalidSchema(`Invalid schema: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      const resolved = { schemaType, schema, references, dependencies: this.resolveReferences(references, 0) };
      parsed = handler.parse(resolved);
      // JSON values are validated by ajv, not by this parser: a schema ajv cannot compile (an
      // invalid pattern, a $ref it resolves differently) would refuse every value later.
      if (schemaType === 'JSON') buildValueDecoder(resolved);
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw invalidSchema(`Invalid schema ${request.schema.slice(0, 200)}, details: ${(err as Error).message}`);
    }
    return { schemaType, schema, references, key: contentKey(schemaType, handler.canonical(schema, false), references), parsed };
  }

  /** A reference to "latest" (-1) is stored as the version it meant at registration. */
  private pinReference(r: SchemaReference): SchemaReference {
    if (r.version !== -1) return r;
    const latest = this.state.versionsOf(r.subject, false).at(-1);
    if (!latest) throw invalidSchema(`Invalid schema: reference ${r.name} names subject ${r.subject}, which has no versions`);
    return { ...r, version: latest.version };
  }

  private resolveReferences(references: SchemaReference[], depth: number): Map<string, ResolvedSchema> {
    if (depth > MAX_REFERENCE_DEPTH) throw invalidSchema(`Invalid schema: references nest deeper than ${MAX_REFERENCE_DEPTH}`);
    const out = new Map<string, ResolvedSchema>();
    for (const r of references) {
      const binding = this.state.subjects.get(r.subject)?.get(r.version);
      if (!binding) throw invalidSchema(`Invalid schema: reference ${r.name} to subject ${r.subject} version ${r.version} not found`);
      const s = this.state.schemas.get(binding.id)!;
      out.set(r.name, { schemaType: s.schemaType, schema: s.schema, references: s.references, dependencies: this.resolveReferences(s.references, depth + 1) });
    }
    return out;
  }

  private parsedVersions(versions: SubjectVersion[]): ParsedVersion[] {
    return versions.map((v) => {
      const s = this.state.schemas.get(v.id)!;
      let parsed = this.parsedById.get(v.id);
      if (parsed === undefined) {
        parsed = HANDLERS[s.schemaType].parse({ ...s, dependencies: this.resolveReferences(s.references, 0) });
        this.parsedById.set(v.id, parsed);
      }
      return { version: v.version, schemaType: s.schemaType, parsed };
    });
  }
}
