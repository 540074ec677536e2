/**
 * Avro types whose values take no bytes (null, fixed(0), records of only such fields). An
 * array or map of them lets a few bytes claim billions of items, and decoding allocates a JS
 * value per item: a V8 heap exhausted that way inside a worker can abort the whole process
 * (measured: exit 134, the worker's resourceLimits notwithstanding). Every other item takes at
 * least one byte, so a value's size bounds what it can claim. Both the produce-time check and
 * the table writer refuse values of schemas with such items instead of decoding them.
 */
import type avro from 'avsc';

/**
 * The largest Avro value either side decodes. With every item at least one byte this bounds
 * the JS values one value can make (a 16 MiB value of 1-byte items is 16M values).
 */
export const MAX_AVRO_VALUE_BYTES = 16 * 1024 * 1024;

/** Whether values of the type take no bytes at all. */
export function zeroWidth(type: avro.Type, seen = new Set<avro.Type>()): boolean {
  if (type.typeName === 'null') return true;
  if (type.typeName === 'fixed') return (type as unknown as { size: number }).size === 0;
  if (type.typeName !== 'record' && type.typeName !== 'error') return false;
  if (seen.has(type)) return false;
  seen.add(type);
  return (type as unknown as { fields: Array<{ type: avro.Type }> }).fields.every((f) => zeroWidth(f.type, seen));
}

/** Whether the type contains, anywhere, an array or map whose items take no bytes. */
export function zeroWidthItems(type: avro.Type, seen = new Set<avro.Type>()): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  const t = type as unknown as { typeName: string; itemsType?: avro.Type; valuesType?: avro.Type; types?: avro.Type[]; fields?: Array<{ type: avro.Type }> };
  if (t.typeName === 'array') return zeroWidth(t.itemsType!) || zeroWidthItems(t.itemsType!, seen);
  if (t.typeName === 'map') return zeroWidth(t.valuesType!) || zeroWidthItems(t.valuesType!, seen);
  const children = t.types ?? t.fields?.map((f) => f.type) ?? [];
  return children.some((c) => zeroWidthItems(c, seen));
}
