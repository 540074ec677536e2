/**
 * Node options for the worker-thread pools (writer and validation).
 *
 * piscina loads a worker's module with require() and falls back to import() when that
 * throws. Since Node 20.19, require() loads an ES module synchronously (require(esm)), and a
 * worker terminated while that is instantiating the module graph takes the whole process
 * down: V8 aborts with "v8::Module::IsGraphAsync must be used on an instantiated module"
 * (exit 134). Pools terminate loading workers whenever they close soon after starting: a
 * SIGTERM in the first few hundred milliseconds after the server's ready line did this about
 * once in thirty starts. Without require(esm), piscina loads the module with import(), which
 * a termination interrupts cleanly (test/integration/pool-close-while-loading.test.ts).
 */
const NO_REQUIRE_ESM = '--no-experimental-require-module';

/**
 * The execArgv pools give piscina. Giving any replaces what workers would inherit from the
 * main thread (V8 flags still apply: they are per process); lakegate starts node with none
 * that workers need. A Node without the option gets none, rather than workers that refuse
 * to start.
 */
export function poolWorkerExecArgv(): string[] | undefined {
  return process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) ? [NO_REQUIRE_ESM] : undefined;
}
