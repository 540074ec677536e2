/**
 * The registry's in-memory state, rebuilt by applying journal events in order. Pure: no I/O,
 * no checks (the registry decides what may happen before it journals an event; replay must
 * accept whatever was journaled).
 */
import type { RegistryEvent } from './events.js';
import { HANDLERS } from './compatibility.js';
import {
  DEFAULT_COMPATIBILITY,
  DEFAULT_MODE,
  type CompatibilityLevel,
  type Mode,
  type SchemaReference,
  type SchemaType,
  type StoredSchema,
  type SubjectVersion,
} from './types.js';

/** Identity of a schema's content: type, canonical text and references. */
export function contentKey(schemaType: SchemaType, canonical: string, references: SchemaReference[]): string {
  return JSON.stringify([schemaType, canonical, references.map((r) => [r.name, r.subject, r.version])]);
}

export class RegistryState {
  /** Every schema content ever registered, by id; kept after hard deletes so ids stay unique. */
  readonly schemas = new Map<number, StoredSchema>();
  readonly idsByContent = new Map<string, number>();
  /** subject -> version -> binding, versions in ascending order. */
  readonly subjects = new Map<string, Map<number, SubjectVersion>>();
  readonly subjectCompatibility = new Map<string, CompatibilityLevel>();
  readonly subjectModes = new Map<string, Mode>();
  globalCompatibility: CompatibilityLevel = DEFAULT_COMPATIBILITY;
  globalMode: Mode = DEFAULT_MODE;
  nextId = 1;

  apply(event: RegistryEvent): void {
    switch (event.type) {
      case 'version': {
        if (!this.schemas.has(event.id)) {
          // First, as it throws on text that is not the schema type's syntax: nothing is half applied.
          const canonical = HANDLERS[event.schemaType].canonical(event.schema, false);
          const stored: StoredSchema = { id: event.id, schemaType: event.schemaType, schema: event.schema, references: event.references };
          this.schemas.set(event.id, stored);
          this.idsByContent.set(contentKey(event.schemaType, canonical, event.references), event.id);
        }
        this.nextId = Math.max(this.nextId, event.id + 1);
        let versions = this.subjects.get(event.subject);
        if (!versions) this.subjects.set(event.subject, (versions = new Map()));
        versions.set(event.version, { subject: event.subject, version: event.version, id: event.id, deleted: event.deleted });
        return;
      }
      case 'version-removed': {
        const versions = this.subjects.get(event.subject);
        versions?.delete(event.version);
        if (versions && versions.size === 0) this.subjects.delete(event.subject);
        return;
      }
      case 'config':
        if (event.subject === null) this.globalCompatibility = event.compatibility ?? DEFAULT_COMPATIBILITY;
        else if (event.compatibility === null) this.subjectCompatibility.delete(event.subject);
        else this.subjectCompatibility.set(event.subject, event.compatibility);
        return;
      case 'mode':
        if (event.subject === null) this.globalMode = event.mode ?? DEFAULT_MODE;
        else if (event.mode === null) this.subjectModes.delete(event.subject);
        else this.subjectModes.set(event.subject, event.mode);
        return;
    }
  }

  /** A subject's versions, ascending; soft-deleted ones only when asked for. */
  versionsOf(subject: string, includeDeleted: boolean): SubjectVersion[] {
    const versions = [...(this.subjects.get(subject)?.values() ?? [])].sort((a, b) => a.version - b.version);
    return includeDeleted ? versions : versions.filter((v) => !v.deleted);
  }

  /** Every binding (subject, version) to a schema id. */
  *bindings(): Generator<SubjectVersion> {
    for (const versions of this.subjects.values()) yield* versions.values();
  }
}
