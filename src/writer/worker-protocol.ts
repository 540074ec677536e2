/**
 * What crosses the thread boundary between WriterPool and its workers: the task with an id
 * per run; the result, or a task-input error as data (a thrown error's class does not survive
 * structured cloning); and the fatal-error notice a worker posts on parentPort just before it
 * exits (piscina relays it as a 'message' event, delivered before 'exit').
 */
import type { MaterializeResult, MaterializeTask } from './task.js';

export interface TaskEnvelope {
  runId: number;
  task: MaterializeTask;
}

export type WorkerReply = { result: MaterializeResult } | { inputError: string };

export interface FatalNotice {
  lakegateWriterFatal: true;
  runId: number;
  message: string;
}

export function isFatalNotice(message: unknown): message is FatalNotice {
  return typeof message === 'object' && message !== null && (message as FatalNotice).lakegateWriterFatal === true;
}
