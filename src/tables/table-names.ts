/**
 * Which table each topic writes, fixed the first time a topic gets a table and kept in
 * <data-dir>/meta/tables.json, so deleting or creating other topics never renames a table.
 * The topic's dead-letter table name (`<table>_dlq`) is fixed and kept the same way (under
 * the key `<topic id>.dlq`), so a topic whose own table name would be `<table>_dlq` never
 * lands in another topic's dead-letter table: whichever comes second gets the id suffix.
 */
import path from 'node:path';
import { isObject, readMetaFile } from '../broker-api/meta-file.js';
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
    const stored = readMetaFile<Record<string, string>>(
      this.file,
      storedNamesProblem,
      'restore it from a backup (it maps topic ids to table names: {"<topic id in hex>": "<table>", "<topic id in hex>.dlq": "<table>_dlq"}); ' +
        'removing it names tables after their topics again, which can point a topic at another table',
    );
    this.names = new Map(Object.entries(stored ?? {}));
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

/** What is wrong with a parsed tables.json, or null. */
function storedNamesProblem(v: unknown): string | null {
  if (!isObject(v)) return 'expected an object of topic ids to table names';
  for (const [key, name] of Object.entries(v)) {
    if (!/^[0-9a-f]{32}(\.dlq)?$/.test(key)) return `"${key}" is not a topic id (32 hex digits, with .dlq for a dead-letter table)`;
    if (typeof name !== 'string' || name === '') return `the table name of "${key}" is not a non-empty string`;
  }
  return null;
}
