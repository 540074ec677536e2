/**
 * The event-loop side of validation=reject: a small piscina pool, started on the first batch
 * that needs it (topics without validation=reject never create it), that checks a batch
 * against the schemas of the topic's value subject (TopicNameStrategy: `<topic>-value`).
 *
 * Workers cache decoders by schema id. A task first goes out with the subject's ids only; a
 * worker that meets an id it has no decoder for answers needs-schemas, and the task runs once
 * more with those schemas attached (ids never change content, so this round is paid once per
 * id and worker).
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { logger } from '../logger.js';
import { poolWorker } from '../pool-worker.js';
import type { SchemaStore } from '../schema-registry/store.js';
import type { ResolvedSchema } from '../schema-registry/types.js';
import type { BadRecord } from './check-batch.js';
import type { ValidationReply, ValidationTask } from './worker-protocol.js';

export type ValidationOutcome =
  | { kind: 'checked'; badRecords: BadRecord[] }
  | { kind: 'corrupt'; message: string }
  /** The check could not be completed (worker failure, timeout, schema not resolvable). */
  | { kind: 'failed'; message: string };

export interface ValidationPoolOptions {
  threads?: number;
  /** A batch whose check runs longer is refused and its worker replaced (pathological payloads). */
  timeoutMs?: number;
  /** Bound on a batch's decompressed records (decompression-bomb guard). */
  maxUncompressedBytes?: number;
  /** Old-generation heap of each worker. */
  workerHeapMb?: number;
}

const DEFAULTS = { threads: 1, timeoutMs: 10_000, maxUncompressedBytes: 128 * 1024 * 1024, workerHeapMb: 512 } as const;

export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

export class ValidationPool {
  private piscina: Piscina<ValidationTask, ValidationReply> | null = null;
  private readonly options: Required<ValidationPoolOptions>;

  constructor(
    private readonly store: SchemaStore,
    options: ValidationPoolOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Checks one batch. `batch` must stay unchanged until the promise settles (the produce
   * path holds the request until then); the workers get their own copy of it.
   */
  async check(topic: string, batch: Buffer): Promise<ValidationOutcome> {
    const subject = valueSubject(topic);
    let schemas: ValidationTask['schemas'] = [];
    try {
      const subjectIds = await this.store.subjectSchemaIds(subject);
      for (let round = 0; round < 2; round++) {
        const reply = await this.run({ batch: new Uint8Array(batch), subject, subjectIds, schemas, maxUncompressedBytes: this.options.maxUncompressedBytes });
        if (reply.kind !== 'needs-schemas') return reply;
        schemas = await this.resolve(reply.schemaIds);
      }
      return { kind: 'failed', message: `the validation worker kept asking for schemas of ${subject}` };
    } catch (err) {
      const why = err instanceof Error && err.name === 'AbortError' ? `did not finish within ${this.options.timeoutMs} ms` : `failed: ${err instanceof Error ? err.message : String(err)}`;
      return { kind: 'failed', message: `checking the batch against subject ${subject} ${why}` };
    }
  }

  private async resolve(ids: number[]): Promise<Array<{ id: number; schema: ResolvedSchema }>> {
    return Promise.all(
      ids.map(async (id) => {
        const stored = await this.store.getById(id);
        if (!stored) throw new Error(`schema id ${id} is listed under its subject but has no content`);
        return { id, schema: await this.store.resolve(stored) };
      }),
    );
  }

  private run(task: ValidationTask): Promise<ValidationReply> {
    this.piscina ??= this.startPool();
    // The copy in task.batch is moved, not cloned again.
    return this.piscina.run(task, { transferList: [task.batch.buffer as ArrayBuffer], signal: AbortSignal.timeout(this.options.timeoutMs) });
  }

  private startPool(): Piscina {
    const piscina = new Piscina({
      ...poolWorker(fileURLToPath(new URL('./worker.js', import.meta.url))),
      minThreads: 1,
      maxThreads: this.options.threads,
      concurrentTasksPerWorker: 1,
      // A heap limit of its own bounds what a check may take. It does not always save the
      // process from a runaway allocation (V8 can abort on one), which is why the decoders
      // refuse the inputs that could cause one (schema-registry/avro-item-width.ts).
      resourceLimits: { maxOldGenerationSizeMb: this.options.workerHeapMb },
    });
    // A worker dying outside a task is replaced by piscina; without a listener it would throw.
    // Added once, when the pool starts (once per checked batch, the listeners piled up).
    piscina.on('error', (err: Error) => logger.error({ err }, 'validation worker died'));
    return piscina;
  }

  async close(): Promise<void> {
    await this.piscina?.close();
    this.piscina = null;
  }
}
