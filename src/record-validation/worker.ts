/**
 * Validation worker (piscina entry): checks one batch against the decoders it has cached by
 * schema id. A schema's content never changes under its id, so a cached decoder stays right
 * for the life of the worker; an id it has not seen yet is asked for (needs-schemas) and the
 * pool runs the task again with the schema attached.
 */
import { checkBatch } from './check-batch.js';
import { buildValueDecoder, type ValueDecoder } from './value-decoders.js';
import { RecordProblem } from './wire-format.js';
import type { ValidationReply, ValidationTask } from './worker-protocol.js';

const decoders = new Map<number, ValueDecoder>();

function compile(id: number, task: ValidationTask['schemas'][number]['schema']): ValueDecoder {
  try {
    return buildValueDecoder(task);
  } catch (err) {
    // The registry accepted it, so this is a parser difference; every record using the id
    // is refused with the reason rather than the whole pool failing.
    const message = `schema id ${id} cannot be used to check values: ${err instanceof Error ? err.message : String(err)}`;
    return () => {
      throw new RecordProblem(message);
    };
  }
}

export default function validate(task: ValidationTask): ValidationReply {
  for (const { id, schema } of task.schemas) if (!decoders.has(id)) decoders.set(id, compile(id, schema));
  const batch = Buffer.from(task.batch.buffer, task.batch.byteOffset, task.batch.byteLength);
  return checkBatch(batch, {
    subject: task.subject,
    subjectIds: new Set(task.subjectIds),
    decoder: (id) => decoders.get(id),
    maxUncompressedBytes: task.maxUncompressedBytes,
  });
}
