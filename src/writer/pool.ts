/**
 * The writer's thread pool: materialize tasks run on piscina workers so decoding and Parquet
 * encoding never block the event loop. A task that kills or poisons its worker rejects with a
 * WriterWorkerError naming the cause, and piscina starts a replacement worker.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { poolWorker } from '../pool-worker.js';
import { TaskInputError, WriterWorkerError } from './errors.js';
import { relaxHeapGrowth } from './heap-growth.js';
import type { MaterializeResult, MaterializeTask } from './task.js';
import { type ExitNotice, isExitNotice, type TaskEnvelope, type WorkerReply } from './worker-protocol.js';

export interface WriterPoolOptions {
  /** Worker threads; default one per core (they run at a lower priority than the event loop). */
  size?: number;
  /** Worker entry module (tests swap in a fault-injecting one). */
  workerFile?: string;
  /** Errors of workers that die with no task running (piscina replaces them). */
  onWorkerError?: (err: Error) => void;
}

/**
 * One thread per core. It used to be one fewer, to leave a core to the event loop; the
 * threads now run niced (worker.ts, thread-priority.ts), so the event loop keeps its core when
 * it needs it and the tables get it when it does not (on 2 cores: 1.5x the JSON per second
 * while ingest runs, bench/README).
 */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism());
}

export class WriterPool {
  readonly size: number;
  private readonly piscina: Piscina<TaskEnvelope, WorkerReply>;
  private readonly exits = new Map<number, ExitNotice>();
  private nextRunId = 0;

  constructor(options: WriterPoolOptions = {}) {
    relaxHeapGrowth(); // process-wide, for the workers' small heaps (heap-growth.ts says why)
    this.size = options.size ?? defaultPoolSize();
    this.piscina = new Piscina({
      ...poolWorker(options.workerFile ?? fileURLToPath(new URL('./worker.js', import.meta.url))),
      minThreads: this.size,
      maxThreads: this.size,
      concurrentTasksPerWorker: 1,
    });
    this.piscina.on('message', (message: unknown) => {
      if (isExitNotice(message)) this.exits.set(message.runId, message);
    });
    const onWorkerError = options.onWorkerError ?? ((err: Error) => process.emitWarning(`writer worker failed: ${err.message}`));
    this.piscina.on('error', onWorkerError);
  }

  async run(task: MaterializeTask): Promise<MaterializeResult> {
    for (;;) {
      const runId = ++this.nextRunId;
      let reply: WorkerReply;
      try {
        reply = await this.piscina.run({ runId, task });
      } catch (err) {
        const exit = this.exits.get(runId);
        this.exits.delete(runId);
        if (exit?.lakegateWriterExit === 'retire') continue; // never started: run it on a fresh worker
        throw this.failure(task, exit, err);
      }
      if ('inputError' in reply) throw new TaskInputError(reply.inputError);
      return reply.result;
    }
  }

  private failure(task: MaterializeTask, exit: ExitNotice | undefined, err: unknown): unknown {
    const where = `${task.topic}[${task.partition}] offsets ${task.fromOffset}..${task.toOffset}`;
    if (exit) return new WriterWorkerError(`writer task for ${where} failed and its worker was replaced: ${exit.message}`, { cause: err });
    if (err instanceof Error && /worker exited/i.test(err.message)) {
      return new WriterWorkerError(`writer worker died running ${where}: ${err.message}`, { cause: err });
    }
    return err;
  }

  async close(): Promise<void> {
    await this.piscina.close();
  }
}
