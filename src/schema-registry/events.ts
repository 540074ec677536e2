/**
 * The registry's journal entries, one per change, in the order they happened. Replaying them
 * rebuilds the whole registry; nothing else is stored. A soft delete re-states a version with
 * deleted=true, a hard delete removes it; the schema content (and so its id) stays known, which
 * is what keeps ids from ever being reused.
 */
import { COMPATIBILITY_LEVELS, MODES, SCHEMA_TYPES, type CompatibilityLevel, type Mode, type SchemaReference, type SchemaType } from './types.js';

export type RegistryEvent =
  | {
      type: 'version';
      subject: string;
      version: number;
      id: number;
      schemaType: SchemaType;
      schema: string;
      references: SchemaReference[];
      deleted: boolean;
    }
  | { type: 'version-removed'; subject: string; version: number }
  /** subject null: the global setting; compatibility null: the subject's setting removed. */
  | { type: 'config'; subject: string | null; compatibility: CompatibilityLevel | null }
  | { type: 'mode'; subject: string | null; mode: Mode | null };

/**
 * Where events are kept durably. append writes the events of one change together (all or
 * none after a crash) and resolves only once they survive one.
 */
export interface RegistryJournal {
  append(events: RegistryEvent[]): Promise<void>;
  replay(): AsyncIterable<RegistryEvent>;
}

const isName = (v: unknown) => typeof v === 'string' && v.length > 0;
const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Whether a decoded journal record is a well-formed event. Anything with Kafka access can write
 * to the journal's topic, so replay checks every field it will rely on instead of trusting it.
 */
export function isRegistryEvent(e: unknown): e is RegistryEvent {
  if (!e || typeof e !== 'object') return false;
  const v = e as Record<string, unknown>;
  switch (v.type) {
    case 'version':
      return (
        isName(v.subject) &&
        isPositiveInt(v.version) &&
        isPositiveInt(v.id) &&
        SCHEMA_TYPES.includes(v.schemaType as SchemaType) &&
        typeof v.schema === 'string' &&
        Array.isArray(v.references) &&
        v.references.every((r: unknown) => {
          const ref = r as Record<string, unknown> | null;
          return !!ref && isName(ref.name) && isName(ref.subject) && isPositiveInt(ref.version);
        }) &&
        typeof v.deleted === 'boolean'
      );
    case 'version-removed':
      return isName(v.subject) && isPositiveInt(v.version);
    case 'config':
      return (v.subject === null || isName(v.subject)) && (v.compatibility === null || COMPATIBILITY_LEVELS.includes(v.compatibility as CompatibilityLevel));
    case 'mode':
      return (v.subject === null || isName(v.subject)) && (v.mode === null || MODES.includes(v.mode as Mode));
    default:
      return false;
  }
}

/** A key naming what an event is about (for log tools, and for a compacted topic later). */
export function eventKey(event: RegistryEvent): string {
  switch (event.type) {
    case 'version':
    case 'version-removed':
      return `SCHEMA:${event.subject}:${event.version}`;
    case 'config':
      return `CONFIG:${event.subject ?? ''}`;
    case 'mode':
      return `MODE:${event.subject ?? ''}`;
  }
}
