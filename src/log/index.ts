export { LogManager } from './log-manager.js';
export { LEADER_EPOCH, PartitionLog, type AppendResult, type LogRange, type LogStats } from './partition-log.js';
export { DEFAULT_LOG_OPTIONS, resolveLogOptions, type LogOptions } from './options.js';
export { ProducerIdAllocator, PRODUCER_ID_BLOCK_SIZE, PRODUCER_ID_FILE } from './producer-id-allocator.js';
export {
  ProducerStateManager,
  incrementSequence,
  CACHED_BATCHES_PER_PRODUCER,
  type CachedBatch,
  type ProducerEntry,
  type ProducerSnapshot,
} from './producer-state.js';
export { LogSegment, LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX } from './segment.js';
export { OffsetIndex, OFFSET_INDEX_ENTRY_SIZE } from './offset-index.js';
export { TimeIndex, TIME_INDEX_ENTRY_SIZE } from './time-index.js';
export { GroupCommitter, type GroupCommitStats } from './group-commit.js';
export { recoverPartition, recoverSegment, type RecoveredPartition } from './recovery.js';
export { CHECKPOINT_FILE, readCheckpoint, type PartitionCheckpoint } from './checkpoint.js';
export { SNAPSHOT_SUFFIX } from './producer-snapshot.js';
