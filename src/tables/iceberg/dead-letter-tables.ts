/** Dead-letter tables as Iceberg tables in the same catalog as the main tables. */
import { deadLetterSchema } from '../../writer/dead-letters.js';
import type { DeadLetterTableRef, DeadLetterTables } from '../dead-letter-tables.js';
import type { WritableIcebergCatalog } from './catalog.js';
import { IcebergTableWriter } from './committer.js';
import { locationToPath } from './io.js';

/** Table property marking a table as a dead-letter table (and which topic it serves). */
export const DEAD_LETTER_PROPERTY = 'lakegate.dead-letters-of';

export function icebergDeadLetterTables(catalog: WritableIcebergCatalog): DeadLetterTables {
  const open = (ref: DeadLetterTableRef) =>
    IcebergTableWriter.open({
      catalog,
      namespace: ref.namespace,
      table: ref.name,
      topic: ref.topic.topic.name,
      schema: deadLetterSchema(),
      partitionBy: 'none',
      properties: { [DEAD_LETTER_PROPERTY]: ref.topic.topic.name },
    });
  return {
    // IcebergTableWriter.dataDir of the table once created: <location>/data.
    dataDir: (ref) => `${locationToPath(catalog.tableLocation(ref.namespace, ref.name))}/data`,
    existing: async (ref) => ((await catalog.loadTable(ref.namespace, ref.name)) ? open(ref) : null),
    create: open,
  };
}
