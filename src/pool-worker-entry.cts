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

type TaskHandler = (task: unknown) => unknown;

/**
 * The handler, once the module has loaded. piscina awaits a promise it finds in place of the
 * handler before it reports the worker ready and starts waiting for tasks, which blocks this
 * thread's event loop: so the module loads (and the writer thread lowers its priority) when
 * the worker starts, as with require(), not on the first task. A module that fails to load
 * fails the worker as it did when piscina loaded it.
 */
export default import((workerData as PoolWorkerData).workerModule).then((m: { default: TaskHandler }) => m.default);
