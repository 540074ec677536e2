/**
 * Turns a task function into a piscina worker handler with the recycling rule: a
 * TaskInputError is the task's fault and goes back as a reply, the worker stays; any other error (a
 * wasm panic surfaces as a RuntimeError, and a panicked instance is poisoned) is reported on
 * parentPort and the worker exits, so piscina fails the task and starts a fresh worker.
 */
import { parentPort } from 'node:worker_threads';
import { describeError, TaskInputError } from './errors.js';
import type { MaterializeResult, MaterializeTask } from './task.js';
import type { FatalNotice, TaskEnvelope, WorkerReply } from './worker-protocol.js';

export type TaskFunction = (task: MaterializeTask) => Promise<MaterializeResult>;

export function createWorkerHandler(run: TaskFunction): (envelope: TaskEnvelope) => Promise<WorkerReply> {
  return async ({ runId, task }) => {
    try {
      return { result: await run(task) };
    } catch (err) {
      if (err instanceof TaskInputError) return { inputError: err.message };
      const kind = err instanceof WebAssembly.RuntimeError ? 'wasm panic' : err instanceof Error ? err.name : 'exception';
      const notice: FatalNotice = { lakegateWriterFatal: true, runId, message: `${kind}: ${describeError(err, 1000)}` };
      parentPort?.postMessage(notice);
      // Exit with the task still open so piscina never hands this worker another task.
      process.exit(1);
    }
  };
}
