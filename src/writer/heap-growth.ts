/**
 * V8's old-generation growing factor, fixed at 4 (V8's own upper bound for the dynamic one)
 * for the whole process once a writer pool starts.
 *
 * Why: a writer worker's JS heap is small (about 10 MB live: code and the Arrow and
 * parquet-wasm bindings; the rows live in buffers outside it) while its young generation grows
 * to 16 MB semi-spaces under a steady stream of decoded records. V8 starts incremental marking
 * as soon as the old generation's headroom (limit - size) is below the young generation's
 * capacity, and the dynamic factor gave a 10 MB heap only 16-24 MB of headroom, so every full
 * GC was followed by the next one at once. Measured while 60 MB/s of JSON was ingested
 * (README, Performance, Tables): 5-10 full GCs per second per worker and 0.4 cores of V8
 * helper threads marking; with the factor at 4, a fifth of the full GCs, 0.23 cores, and 17%
 * more JSON per CPU-second of the writers and helpers. The event loop's heap is unaffected in
 * practice (peak RSS of the throughput runs 172-174 MB either way).
 *
 * V8 flags are per process, not per isolate, hence the whole process. A growing factor the
 * user chose (node --heap-growing-percent=N, or in NODE_OPTIONS) is left alone.
 */
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 300;
const FLAG = '--heap-growing-percent';

/** The flag to set, or undefined when the user's command line or NODE_OPTIONS already sets one. */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined, percent = HEAP_GROWING_PERCENT): string | undefined {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  // V8 accepts both spellings of its flags.
  if (given.some((arg) => arg.replaceAll('_', '-').startsWith(FLAG))) return undefined;
  return `${FLAG}=${percent}`;
}

let applied = false;

/** Sets the growing factor once per process (tests pass another percent to see it in V8's trace). */
export function relaxHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  if (applied) return;
  applied = true;
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS, percent);
  // The factor is read at every full GC, so setting it after start-up takes effect from the next one.
  if (flag) v8.setFlagsFromString(flag);
}
