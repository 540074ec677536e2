/**
 * What crosses the thread boundary between WriterPool and its workers: the task with an id
 * per run; the result, or a task-input error as data (a thrown error's class does not survive
 * structured cloning); and the notice a worker posts on parentPort just before it exits with
 * the run still open (piscina relays it as a 'message' event, delivered before 'exit'):
 * 'fatal' when the run failed unexpectedly, 'retire' when the worker quit before starting the
 * run because its wasm memory had grown too large (the pool re-runs the task elsewhere).
 */
import type { MaterializeResult, MaterializeTask } from './task.js';

export interface TaskEnvelope {
  runId: number;
  task: MaterializeTask;
}

export type WorkerReply = { result: MaterializeResult } | { inputError: string };

export interface ExitNotice {
  lakegateWriterExit: 'fatal' | 'retire';
  runId: number;
  message: string;
}

export function isExitNotice(message: unknown): message is ExitNotice {
  return typeof message === 'object' && message !== null && typeof (message as ExitNotice).lakegateWriterExit === 'string';
}
