/**
 * Two kinds of task failure, because the pool treats them differently. A TaskInputError is
 * the task's own fault (a range that is not whole batches, a schema the config does not
 * match, a missing segment): the worker is healthy and stays. Anything else is unexpected and
 * may have left the worker's wasm instance poisoned, so the worker is replaced.
 */
export class TaskInputError extends Error {
  override name = 'TaskInputError';
}

/** Rejection of WriterPool.run after the worker died or was recycled because of this task. */
export class WriterWorkerError extends Error {
  override name = 'WriterWorkerError';
}

/** A short, single-line description of anything thrown, for bad-record reasons and errors. */
export function describeError(err: unknown, maxLength = 300): string {
  const text = err instanceof Error ? `${err.message}` : String(err);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > maxLength ? `${line.slice(0, maxLength)}...` : line;
}
