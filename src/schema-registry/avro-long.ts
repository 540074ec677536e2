/**
 * Avro longs as bigint over the whole 64-bit range. avsc's own long refuses every value past
 * 2^53 ("potential precision loss"), so a record holding, say, a nanosecond timestamp or a
 * large id would be refused at produce time and dead-lettered by the table writer although
 * it is valid Avro. Every avsc parse in lakegate goes through avroParseOptions().
 */
import avro from 'avsc';

export const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string | number | bigint),
  toJSON: (n: bigint) => (Number.isSafeInteger(Number(n)) ? Number(n) : n.toString()),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * forSchema options with bigint longs. The registry entry covers the name `long`; the hook
 * covers a long written as an object (a logical type such as timestamp-micros, or one with
 * extra attributes), for which avsc would otherwise build its own long.
 */
export function avroParseOptions(registry: Record<string, avro.Type> = {}): { registry: Record<string, avro.Type>; typeHook: (schema: avro.Schema) => avro.Type | undefined } {
  registry.long = BIGINT_LONG;
  return {
    registry,
    typeHook: (schema) => (typeof schema === 'object' && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'long' ? BIGINT_LONG : undefined),
  };
}
