/**
 * Which table each topic writes, fixed the first time a topic gets a table and kept in
 * <data-dir>/meta/tables.json, so deleting or creating other topics never renames a table.
 * The topic's dead-letter table name (`<table>_dlq`) is fixed and kept the same way (under
 * the key `<topic id>.dlq`), so a topic whose own table name would be `<table>_dlq` never
 * lands in another topic's dead-letter table: whichever comes second gets the id suffix.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../broker-api/topic-registry.js';
import type { Topic } from '../broker-api/topic-registry.js';
import { DEAD_LETTER_SUFFIX } from './dead-letter-tables.js';
import { baseTableName } from './topic-table-settings.js';

export class TableNames {
  /** topic id (hex) -> table name */
  private readonly names: Map<string, string>;
  private readonly file: string;

  constructor(metaDir: string) {
    this.file = path.join(metaDir, 'tables.json');
    const stored = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>) : {};
    this.names = new Map(Object.entries(stored));
  }

  /** The topic's table name, assigning (and persisting) one on first use. */
  nameFor(topic: Topic): string {
    const id = topic.id.toString('hex');
    return this.assign(id, baseTableName(topic.name), id);
  }

  /** The topic's dead-letter table name, assigning (and persisting) one on first use. */
  deadLetterNameFor(topic: Topic): string {
    const id = topic.id.toString('hex');
    return this.assign(`${id}.dlq`, `${this.nameFor(topic)}${DEAD_LETTER_SUFFIX}`, id);
  }

  private assign(key: string, wanted: string, id: string): string {
    const known = this.names.get(key);
    if (known) return known;
    const taken = new Set(this.names.values());
    const name = taken.has(wanted) ? `${wanted}_${id.slice(0, 8)}` : wanted;
    this.names.set(key, name);
    writeFileAtomically(this.file, JSON.stringify(Object.fromEntries(this.names), null, 2));
    return name;
  }
}
