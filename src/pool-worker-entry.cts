/**
 * The file piscina starts every pool worker with (writer and validation pools). It is
 * CommonJS on purpose, and loads the pool's own worker module, an ES module, with import().
 *
 * piscina loads a worker's file with require(), and since Node 20.19 require() loads an ES
 * module synchronously (require(esm)). A worker terminated while that instantiates the module
 * graph takes the whole process down: V8 aborts with "v8::Module::IsGraphAsync must be used on
 * an instantiated module" (exit 134). A pool terminates loading workers whenever it closes
 * soon after it started: a SIGTERM in the first few hundred milliseconds after the server's
 * ready line did that about once in thirty starts. A termination interrupts import() cleanly
 * (test/integration/pool-close-while-loading.test.ts). Starting the workers with
 * --no-experimental-require-module would do the same, but giving workers an execArgv drops the
 * options they otherwise inherit from the main thread (--cpu-prof, --inspect, --import).
 */
import { workerData } from 'piscina';
import type { PoolWorkerData } from './pool-worker.js';

type WorkerModule = { default: (task: unknown) => unknown };

// Loading starts with the worker, as piscina's own loading would.
const loaded = import((workerData as PoolWorkerData).workerModule) as Promise<WorkerModule>;
// A module that cannot load fails each task with its error, not the worker with an
// unhandled rejection (which piscina would answer by starting another, over and over).
loaded.catch(() => {});

function runTask(task: unknown): Promise<unknown> {
  return loaded.then((m) => m.default(task));
}

export = runTask;
