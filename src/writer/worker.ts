/** The piscina worker entry (compiled to dist/src/writer/worker.js, found by pool.ts). */
import { wasmMemory } from 'parquet-wasm';
import { materialize } from './materialize.js';
import { lowerThisThreadPriority, WRITER_NICE_INCREMENT } from './thread-priority.js';
import { createWorkerHandler } from './worker-handler.js';

// Yield to the event loop (acknowledgements) whenever both want a core: see thread-priority.ts.
lowerThisThreadPriority(WRITER_NICE_INCREMENT);

export default createWorkerHandler((task) => materialize(task), { memoryBytes: () => wasmMemory().buffer.byteLength });
