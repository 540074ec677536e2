/**
 * Turns a task function into a piscina worker handler with the recycling rules:
 * - a TaskInputError is the task's fault and goes back as a reply; the worker stays;
 * - any other error (a wasm panic surfaces as a RuntimeError, and a panicked instance is
 *   poisoned) is reported on parentPort and the worker exits, so piscina fails the task and
 *   starts a fresh worker;
 * - wasm memory grows and never shrinks: a worker whose memory is past the limit when a task
 *   arrives retires (exits) before starting it, and the pool runs the task again elsewhere.
 * Exiting inside the handler, with the run still open, is what keeps piscina from handing
 * the dying worker another task in between.
 */
import { parentPort } from 'node:worker_threads';
import { describeError, TaskInputError } from './errors.js';
import type { MaterializeResult, MaterializeTask } from './task.js';
import type { ExitNotice, TaskEnvelope, WorkerReply } from './worker-protocol.js';

export type TaskFunction = (task: MaterializeTask) => Promise<MaterializeResult>;

export interface HandlerOptions {
  /** Current wasm memory size in bytes. */
  memoryBytes?: () => number;
  /** Retire the worker above this many bytes of wasm memory. */
  memoryLimit?: number;
}

export const DEFAULT_WASM_MEMORY_LIMIT = 1024 * 1024 * 1024;

function exitWith(notice: ExitNotice, code: number): Promise<never> {
  parentPort?.postMessage(notice);
  process.exit(code);
}

export function createWorkerHandler(run: TaskFunction, options: HandlerOptions = {}): (envelope: TaskEnvelope) => Promise<WorkerReply> {
  const limit = options.memoryLimit ?? DEFAULT_WASM_MEMORY_LIMIT;
  return async ({ runId, task }) => {
    const memory = options.memoryBytes?.() ?? 0;
    if (memory > limit) {
      return exitWith({ lakegateWriterExit: 'retire', runId, message: `wasm memory at ${memory} bytes, over ${limit}` }, 0);
    }
    try {
      return { result: await run(task) };
    } catch (err) {
      if (err instanceof TaskInputError) return { inputError: err.message };
      const kind = err instanceof WebAssembly.RuntimeError ? 'wasm panic' : err instanceof Error ? err.name : 'exception';
      return exitWith({ lakegateWriterExit: 'fatal', runId, message: `${kind}: ${describeError(err, 1000)}` }, 1);
    }
  };
}
