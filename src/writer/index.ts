/** The writer's public surface: log bytes in, Parquet data files and their statistics out. */
export { materialize, type MaterializeOptions, DEFAULT_MAX_FILE_BYTES } from './materialize.js';
export { WriterPool, type WriterPoolOptions, defaultPoolSize } from './pool.js';
export { TaskInputError, WriterWorkerError } from './errors.js';
export * from './schema.js';
export * from './task.js';
