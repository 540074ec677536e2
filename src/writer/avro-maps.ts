/**
 * avsc decodes an Avro map by assignment onto `{}` (MapType._read: `val[key] = value`), so a
 * map key "__proto__" sets the object's prototype instead of adding an entry. The entry is
 * lost, and in a map of records the record's field and avsc's record methods (clone,
 * toBuffer, ...) become inherited enumerable properties that for...in takes as entries.
 *
 * withOwnKeyMaps adds a typeHook to forSchema options that builds every map type as an
 * OwnKeyMapType, whose read stores each key as an own property (setOwn). avsc freezes its
 * types, so this cannot be patched in after parsing. It relies on two avsc internals, stable
 * across avsc 5: a type's `_read(tap)` and the tap's varint and string readers. A resolver
 * to a map reads with the reader map type's `_read` (MapType._update), so the reader schema
 * is the one that must be parsed with these options.
 */
import avro from 'avsc';
import { setOwn } from './own-property.js';

/** The part of avsc's Tap a map read uses. */
interface Tap {
  readLong(): number;
  skipLong(): void;
  readString(): string;
}

/** `this` of a map read: the map type itself, or a resolver holding the values' resolver. */
interface MapReader {
  valuesType: { _read(tap: Tap): unknown };
}

/** Items in the next block (0 at the end); a negative count is followed by the block's byte size. */
function blockCount(tap: Tap): number {
  const n = tap.readLong();
  if (n >= 0) return n;
  tap.skipLong();
  return -n;
}

/** A map type whose decoded values hold every key as an own property. */
class OwnKeyMapType extends avro.types.MapType {
  /** avsc's MapType._read with setOwn instead of assignment. */
  _read(this: MapReader, tap: Tap): Record<string, unknown> {
    const values = this.valuesType;
    const map: Record<string, unknown> = {};
    for (let n = blockCount(tap); n > 0; n = blockCount(tap)) {
      for (; n > 0; n--) {
        const key = tap.readString();
        setOwn(map, key, values._read(tap));
      }
    }
    return map;
  }
}

type TypeHook = (schema: avro.Schema, opts: avro.ForSchemaOptions) => avro.Type | undefined;

function isMapSchema(schema: avro.Schema): boolean {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'map';
}

/** The options with a typeHook that builds maps as OwnKeyMapType after trying the options' own hook. */
export function withOwnKeyMaps<O extends { typeHook?: TypeHook }>(options: O): O & { typeHook: TypeHook } {
  const inner = options.typeHook;
  return {
    ...options,
    typeHook: (schema, opts) => inner?.(schema, opts) ?? (isMapSchema(schema) ? new OwnKeyMapType(schema, opts) : undefined),
  };
}
