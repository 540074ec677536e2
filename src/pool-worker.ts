/**
 * How the worker pools (writer, validation) point piscina at their worker module: through a
 * CommonJS entry that import()s it (pool-worker-entry.cts says why).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface PoolWorkerData {
  /** file: URL of the ES module whose default export handles a task */
  workerModule: string;
}

const ENTRY = fileURLToPath(new URL('./pool-worker-entry.cjs', import.meta.url));

/** piscina options that run `workerModule` (a path) in every worker of the pool. */
export function poolWorker(workerModule: string): { filename: string; workerData: PoolWorkerData } {
  return { filename: ENTRY, workerData: { workerModule: pathToFileURL(workerModule).href } };
}
