/** The piscina worker entry (compiled to dist/src/writer/worker.js, found by pool.ts). */
import { wasmMemory } from 'parquet-wasm';
import { materialize } from './materialize.js';
import { createWorkerHandler } from './worker-handler.js';

export default createWorkerHandler((task) => materialize(task), { memoryBytes: () => wasmMemory().buffer.byteLength });
