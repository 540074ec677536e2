/**
 * Decoded maps (and JSON objects) are plain objects keyed by whatever keys the data holds,
 * "__proto__" included. A plain assignment `out[key] = value` with that key sets the object's
 * prototype instead of adding an entry: the entry is lost, and the properties of an object
 * value would show through as inherited ones. So whatever builds such an object stores keys
 * with setOwn, and whatever reads one takes its own keys only (Object.keys, never for...in).
 */

/** Stores `value` under `key` as an own enumerable property, also for "__proto__". */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
