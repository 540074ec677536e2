/**
 * Which table each topic writes, fixed the first time a topic gets a table and kept in
 * <data-dir>/meta/tables.json, so deleting or creating other topics never renames a table.
 * The topic's dead-letter table name (`<table>_dlq`) is fixed and kept the same way (under
 * the key `<topic id>.dlq`), so a topic whose own table name would be `<table>_dlq` never
 * lands in another topic's dead-letter table: whichever comes second gets the id suffix.
 */
import path from 'node:path';
import { isObject, readMetaFile } from '../broker-api/meta-file.js';
import { CoalescedFileWriter } from '../broker-api/coalesced-file-writer.js';
import type { Topic } from '../broker-api/topic-registry.js';
import { DEAD_LETTER_SUFFIX } from './dead-letter-tables.js';
import { baseTableName } from './topic-table-settings.js';

export class TableNames {
  /** topic id (hex) -> table name */
  private readonly names: Map<string, string>;
  /** The names in use, so choosing one does not walk every topic's. */
  private readonly taken: Set<string>;
  /** Keys whose name is in the file: no write is waited for to return those. */
  private readonly durable: Set<string>;
  private readonly writer: CoalescedFileWriter;

  constructor(metaDir: string) {
    const file = path.join(metaDir, 'tables.json');
    const stored = readMetaFile<Record<string, string>>(
      file,
      storedNamesProblem,
      'restore it from a backup (it maps topic ids to table names: {"<topic id in hex>": "<table>", "<topic id in hex>.dlq": "<table>_dlq"}); ' +
        'removing it names tables after their topics again, which can point a topic at another table',
    );
    this.names = new Map(Object.entries(stored ?? {}));
    this.taken = new Set(this.names.values());
    this.durable = new Set(this.names.keys());
    // The topics that get their tables together (every topic of a CreateTopics) share a write.
    this.writer = new CoalescedFileWriter(file, () => JSON.stringify(Object.fromEntries(this.names), null, 2));
  }

  /**
   * The topic's table and dead-letter table names, assigned on first use and durable before
   * this resolves (so a table is never made under a name a restart would not pick again). Both
   * are assigned at once, so the topics that start together share one write of tables.json.
   */
  async namesFor(topic: Topic): Promise<{ table: string; deadLetters: string }> {
    const id = topic.id.toString('hex');
    const table = this.assign(id, baseTableName(topic.name), id);
    const deadLetters = this.assign(`${id}.dlq`, `${table}${DEAD_LETTER_SUFFIX}`, id);
    if (!this.durable.has(id) || !this.durable.has(`${id}.dlq`)) {
      await this.writer.flush();
      this.durable.add(id).add(`${id}.dlq`);
    }
    return { table, deadLetters };
  }

  private assign(key: string, wanted: string, id: string): string {
    let name = this.names.get(key);
    if (name === undefined) {
      name = this.taken.has(wanted) ? `${wanted}_${id.slice(0, 8)}` : wanted;
      this.names.set(key, name);
      this.taken.add(name);
    }
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
