/**
 * The registry's journal entries, one per change, in the order they happened. Replaying them
 * rebuilds the whole registry; nothing else is stored. A soft delete re-states a version with
 * deleted=true, a hard delete removes it; the schema content (and so its id) stays known, which
 * is what keeps ids from ever being reused.
 */
import type { CompatibilityLevel, Mode, SchemaReference, SchemaType } from './types.js';

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
