/**
 * Plain-name fragments of JSON Schema $refs (`"$ref": "#address"`): they name the subschema
 * that declares the name, with `$anchor` (2019-09 and later) or with an `$id` (draft-06/07) or
 * `id` (draft-04) that is only a fragment (`"$id": "#address"`). A document's anchors are
 * collected once, walking subschemas only: the values of enum, const, default and examples
 * are data, whatever keys they hold. The first declaration of a name wins.
 */
type SchemaObject = Record<string, unknown>;

/** Keywords whose values are data, not subschemas. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);
/** Keywords whose values map names (which may be any string, `enum` included) to subschemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
const MAX_DEPTH = 256;

const byDocument = new WeakMap<object, Map<string, SchemaObject>>();

/** Whether a $ref's fragment is a plain name rather than a JSON pointer (`/...`) or empty. */
export function isAnchorFragment(fragment: string): boolean {
  return fragment !== '' && !fragment.startsWith('/');
}

/** The subschema of `root` that declares the anchor `name`, or undefined. */
export function findAnchor(root: unknown, name: string): SchemaObject | undefined {
  if (root === null || typeof root !== 'object') return undefined;
  let anchors = byDocument.get(root);
  if (!anchors) {
    anchors = new Map();
    collect(root, anchors, 0);
    byDocument.set(root, anchors);
  }
  return anchors.get(name);
}

function collect(node: unknown, out: Map<string, SchemaObject>, depth: number): void {
  if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) collect(item, out, depth + 1);
    return;
  }
  const schema = node as SchemaObject;
  for (const name of [schema.$anchor, fragmentOnly(schema.$id), fragmentOnly(schema.id)]) {
    if (typeof name === 'string' && name !== '' && !out.has(name)) out.set(name, schema);
  }
  for (const [key, value] of Object.entries(schema)) {
    if (SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const sub of Object.values(value)) collect(sub, out, depth + 1);
    } else if (!DATA_KEYWORDS.has(key)) {
      collect(value, out, depth + 1);
    }
  }
}

/** "#name" ids name an anchor; "#/..." and base URIs do not. */
function fragmentOnly(id: unknown): string | undefined {
  return typeof id === 'string' && id.startsWith('#') && !id.startsWith('#/') ? id.slice(1) : undefined;
}
