/** The Iceberg table format: public entry points. */
export { CommitConflictError, type IcebergCatalog, type LoadedTable, type Namespace, type WritableIcebergCatalog } from './catalog.js';
export { LocalIcebergCatalog } from './local-catalog.js';
export { icebergDeadLetterTables, DEAD_LETTER_PROPERTY } from './dead-letter-tables.js';
export { IcebergTableWriter, OffsetConflictError, type IcebergTableWriterOptions } from './committer.js';
export { parseMetadata, serializeMetadata, type TableMetadata, type Snapshot } from './metadata.js';
export { committedOffsets, OFFSETS_PROPERTY, TOPIC_PROPERTY } from './snapshot.js';
export { LocalFileIO, locationToPath, pathToLocation, type FileIO } from './io.js';
