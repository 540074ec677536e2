/**
 * Which table each topic writes, fixed the first time a topic gets a table and kept in
 * <data-dir>/meta/tables.json, so deleting or creating other topics never renames a table.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../broker-api/topic-registry.js';
import type { Topic } from '../broker-api/topic-registry.js';
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
    const known = this.names.get(id);
    if (known) return known;
    const taken = new Set(this.names.values());
    let name = baseTableName(topic.name);
    if (taken.has(name)) name = `${name}_${id.slice(0, 8)}`;
    this.names.set(id, name);
    writeFileAtomically(this.file, JSON.stringify(Object.fromEntries(this.names), null, 2));
    return name;
  }
}
