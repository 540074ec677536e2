/**
 * Plain-name fragments of JSON Schema $refs (`"$ref": "#address"`): they name the subschema
 * of the same document that declares the name, with `$anchor` or with an `$id` that is only a
 * fragment (`"$id": "#address"`, drafts 6 and 7). Resolved as ajv, which validates the
 * values, resolves them, so the registry, the table's columns and validation agree:
 * - a subschema with any other `$id` is an embedded resource, and its anchors are its own;
 * - a name declared twice is an error, not the first one found;
 * - draft-04's `id` names nothing (ajv reads `$id` only).
 * Only subschemas are walked: the values of enum, const, default and examples are data,
 * whatever keys they hold.
 */
type SchemaObject = Record<string, unknown>;

/** Keywords whose values are data, not subschemas. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);
/** Keywords whose values map names (which may be any string, `enum` included) to subschemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
const MAX_DEPTH = 256;
/** A name declared more than once. */
const AMBIGUOUS = null;

const byDocument = new WeakMap<object, Map<string, SchemaObject | typeof AMBIGUOUS>>();

/** Whether a $ref's fragment is a plain name rather than a JSON pointer (`/...`) or empty. */
export function isAnchorFragment(fragment: string): boolean {
  return fragment !== '' && !fragment.startsWith('/');
}

/** The subschema of `root` that declares the anchor `name`, or why there is none. */
export function findAnchor(root: unknown, name: string): { schema: SchemaObject } | { problem: string } {
  let anchors = root !== null && typeof root === 'object' ? byDocument.get(root) : undefined;
  if (!anchors) {
    anchors = new Map();
    collect(root, anchors, 0, true);
    if (root !== null && typeof root === 'object') byDocument.set(root, anchors);
  }
  const schema = anchors.get(name);
  if (schema === undefined) return { problem: 'names no anchor of its document ($anchor, or an $id that is only a fragment)' };
  if (schema === AMBIGUOUS) return { problem: `names the anchor ${name}, which its document declares more than once` };
  return { schema };
}

function collect(node: unknown, out: Map<string, SchemaObject | typeof AMBIGUOUS>, depth: number, isRoot: boolean): void {
  if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) collect(item, out, depth + 1, false);
    return;
  }
  const schema = node as SchemaObject;
  const idAnchor = fragmentOnly(schema.$id);
  if (!isRoot && typeof schema.$id === 'string' && idAnchor === undefined) return;
  for (const name of new Set([schema.$anchor, idAnchor])) {
    if (typeof name === 'string' && name !== '') out.set(name, out.has(name) ? AMBIGUOUS : schema);
  }
  for (const [key, value] of Object.entries(schema)) {
    if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const sub of Object.values(value)) collect(sub, out, depth + 1, false);
    } else if (!DATA_KEYWORDS.has(key)) {
      collect(value, out, depth + 1, false);
    }
  }
}

/** "#name" ids name an anchor; "#/..." pointers and ids with a base URI do not. */
function fragmentOnly(id: unknown): string | undefined {
  return typeof id === 'string' && id.startsWith('#') && !id.startsWith('#/') && id.length > 1 ? id.slice(1) : undefined;
}
