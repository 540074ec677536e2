/**
 * The registered schemas of one typed topic's table (Avro, Protobuf or JSON Schema), kept on
 * the event loop and looked at once per commit cycle (never per record): the subject's
 * versions (writer schemas, by id) and the reader schema the table's columns come from (the
 * subject's latest version), seen through its format's Avro image (writer/typed-format.ts).
 *
 * Field ids are stable: a path of the image (see writer/avro-schema.ts) keeps the id the table's current
 * schema gives it as long as its type stays the same or is a promotion Iceberg allows (int ->
 * long, float -> double, a wider decimal of the same scale); a new path, or a type Iceberg
 * cannot change into, gets the next id past the table's last-column-id. The table's own
 * schema is where the mapping lives, so restarts and new versions keep it.
 */
import { logger } from '../logger.js';
import type { SchemaStore } from '../schema-registry/store.js';
import type { ResolvedSchema } from '../schema-registry/types.js';
import { avroColumns, avroValueSlots, columnPaths, type AvroSchemaText, type FieldIds } from '../writer/avro-schema.js';
import { sameType } from '../writer/column-plan.js';
import { type Column, type ColumnType, decimalParams, FIRST_VALUE_FIELD_ID, maxFieldId, type RowSchema, systemColumns } from '../writer/schema.js';
import type { TypedTaskSchemas, TypedValueFormat } from '../writer/task.js';
import type { RegistrySchemaType, SchemaText } from '../writer/typed-format.js';
import { TYPED_FORMATS, typedFormat } from '../writer/typed-formats.js';
import type { TableSchemaState } from './table-writer.js';

/** TopicNameStrategy: the subject of a topic's values. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** Whether a column typed `from` can become `to` keeping its field id (Iceberg type promotion). */
export function canPromote(from: string, to: string): boolean {
  if (from === to) return true;
  if ((from === 'int' && to === 'long') || (from === 'float' && to === 'double')) return true;
  const a = decimalParams(from);
  const b = decimalParams(to);
  return a !== undefined && b !== undefined && a.scale === b.scale && b.precision >= a.precision;
}

/** Field ids for a new schema: the previous columns' ids by path where the type allows, else new ones. */
export function stableFieldIds(previous: Column[], lastColumnId: number): FieldIds {
  const known = columnPaths(previous);
  let next = Math.max(lastColumnId, maxFieldId(previous), FIRST_VALUE_FIELD_ID - 1) + 1;
  return (path, kind) => {
    const found = known.get(path);
    if (found && canPromote(found.kind, kind)) return found.id;
    return next++;
  };
}

/**
 * The table schema for an Avro reader schema on top of the table's previous schema: the same
 * schema id when the columns come out the same, the next id when anything changed.
 */
export function avroRowSchema(reader: AvroSchemaText, previous: RowSchema, lastColumnId: number): RowSchema {
  const { slots } = avroValueSlots(reader);
  const columns = keepOptional([...systemColumns(), ...avroColumns(slots, stableFieldIds(previous.columns, lastColumnId))], previous.columns);
  const same = sameType({ kind: 'struct', fields: columns }, { kind: 'struct', fields: previous.columns });
  return { schemaId: same ? previous.schemaId : previous.schemaId + 1, columns };
}

/**
 * Iceberg lets a field go from required to optional, never back: older files may hold nulls
 * under its id. A field, list element or map value that was optional in the previous schema
 * stays optional when a newer writer schema no longer allows null there (FORWARD or NONE
 * compatibility let such a version register).
 */
export function keepOptional(columns: Column[], previous: Column[]): Column[] {
  const optional = new Set<number>();
  const collect = (t: ColumnType) => {
    if (t.kind === 'struct') {
      for (const f of t.fields) {
        if (!f.required) optional.add(f.id);
        collect(f.type);
      }
    } else if (t.kind === 'list') {
      if (!t.elementRequired) optional.add(t.elementId);
      collect(t.element);
    } else if (t.kind === 'map') {
      if (!t.valueRequired) optional.add(t.valueId);
      collect(t.value);
    }
  };
  collect({ kind: 'struct', fields: previous });
  const relax = (t: ColumnType): ColumnType => {
    if (t.kind === 'struct') return { ...t, fields: t.fields.map((f) => ({ ...f, required: f.required && !optional.has(f.id), type: relax(f.type) })) };
    if (t.kind === 'list') return { ...t, elementRequired: t.elementRequired && !optional.has(t.elementId), element: relax(t.element) };
    if (t.kind === 'map') return { ...t, valueRequired: t.valueRequired && !optional.has(t.valueId), value: relax(t.value) };
    return t;
  };
  return (relax({ kind: 'struct', fields: columns }) as { fields: Column[] }).fields;
}

/**
 * A resolved schema as a SchemaText: its references flattened, dependencies before
 * dependents, each under the name it is referenced by.
 */
export function schemaText(resolved: ResolvedSchema): SchemaText {
  const references: SchemaText['references'] = [];
  const done = new Set<ResolvedSchema>();
  const visit = (s: ResolvedSchema) => {
    for (const [name, dep] of s.dependencies) {
      if (done.has(dep)) continue;
      done.add(dep);
      visit(dep);
      references.push({ name, schema: dep.schema });
    }
  };
  visit(resolved);
  return { schemaType: resolved.schemaType, schema: resolved.schema, references };
}

/** The table schema for a typed format's reader schema on top of the table's previous schema. */
export function typedRowSchema(format: TypedValueFormat, reader: SchemaText, previous: RowSchema, lastColumnId: number): RowSchema {
  return avroRowSchema(typedFormat(format).avroImage(reader), previous, lastColumnId);
}

export interface LatestSchema {
  id: number;
  version: number;
  text: SchemaText;
}

export class TypedValueSchemas {
  private readonly texts = new Map<number, SchemaText>();
  private readerVersion = 0;
  private readerSchemaId = -1;
  private readonly schemaType: RegistrySchemaType;

  private constructor(
    private readonly store: SchemaStore,
    readonly subject: string,
    readonly format: TypedValueFormat,
    /** The schema data files are written with; ahead of the table's until the next commit. */
    public schema: RowSchema,
    private lastColumnId: number,
  ) {
    this.schemaType = TYPED_FORMATS[format]!.schemaType;
  }

  /** The subject's latest version (of any schema type), as text. */
  static async latest(store: SchemaStore, subject: string): Promise<LatestSchema | undefined> {
    const latest = await store.getVersion(subject, 'latest');
    if (!latest) return undefined;
    return { id: latest.id, version: latest.version, text: schemaText(await store.resolve(latest.schema)) };
  }

  /** Throws when the subject has no schema of the format or its latest version cannot be columns. */
  static async open(store: SchemaStore, subject: string, format: TypedValueFormat, table: TableSchemaState): Promise<TypedValueSchemas> {
    const schemas = new TypedValueSchemas(store, subject, format, table.schema, table.lastColumnId);
    await schemas.refresh();
    if (schemas.readerSchemaId < 0) throw new Error(`subject ${subject} has no ${schemas.schemaType} schema`);
    return schemas;
  }

  /**
   * Takes in versions registered since the last look. A newer latest version becomes the
   * reader schema (the table schema evolves with the next commit); one that cannot be
   * columns (e.g. a recursive type) or is of another schema type leaves the reader as it
   * was, and the error is thrown only when there is no reader at all.
   */
  async refresh(): Promise<void> {
    for (const id of await this.store.subjectSchemaIds(this.subject)) {
      if (this.texts.has(id)) continue;
      const stored = await this.store.getById(id);
      if (stored?.schemaType === this.schemaType) this.texts.set(id, schemaText(await this.store.resolve(stored)));
    }
    const latest = await TypedValueSchemas.latest(this.store, this.subject);
    if (!latest || latest.version <= this.readerVersion) return;
    let next: RowSchema;
    try {
      if (latest.text.schemaType !== this.schemaType) throw new Error(`it is a ${latest.text.schemaType} schema; the table decodes ${this.schemaType}`);
      this.texts.set(latest.id, latest.text);
      next = typedRowSchema(this.format, latest.text, this.schema, this.lastColumnId);
    } catch (err) {
      if (this.readerSchemaId < 0) throw err;
      logger.warn({ subject: this.subject, version: latest.version, err }, 'the latest schema cannot be the table\'s columns; the table keeps its schema');
      this.readerVersion = latest.version; // said once, not every cycle
      return;
    }
    this.schema = next;
    this.lastColumnId = Math.max(this.lastColumnId, maxFieldId(next.columns));
    this.readerVersion = latest.version;
    this.readerSchemaId = latest.id;
  }

  /** What a worker task needs: the reader schema's id and every writer schema's text. */
  taskSchemas(): TypedTaskSchemas {
    return { readerSchemaId: this.readerSchemaId, schemas: Object.fromEntries(this.texts) };
  }
}
