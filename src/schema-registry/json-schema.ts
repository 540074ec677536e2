/**
 * JSON Schema: parsing (with $ref resolved locally and through references) and a documented
 * subset of Confluent's JSON Schema compatibility rules. `readerIssues(reader, writer)` asks:
 * is every document valid under `writer` also valid under `reader`?
 *
 * Checked: type narrowed (integer is accepted where number is), enum narrowed or added,
 * string/number/array bounds tightened, pattern changed, properties removed from a closed
 * content model (additionalProperties: false) or added to an open one, additionalProperties
 * narrowed, required properties added without a default, array items, oneOf/anyOf branches
 * (each writer branch must be readable by some reader branch). Not analysed: allOf, not,
 * if/then/else, dependencies and patternProperties; a change to them is reported as
 * incompatible rather than guessed at.
 */
import { findAnchor, isAnchorFragment } from './json-schema-anchors.js';
import { parseJsonText, sortedJson, type SchemaHandler } from './schema-handler.js';
import type { ResolvedSchema } from './types.js';

type Node = boolean | Record<string, unknown>;

/** A parsed document plus what its $refs can point at. */
export interface JsonSchemaDoc {
  root: Node;
  /** Resolves a $ref found in `doc` to its target node and the document that node lives in. */
  resolve(ref: string, doc: JsonSchemaDoc): { node: Node; doc: JsonSchemaDoc };
}

const JSON_TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'string', 'integer']);
const ANNOTATIONS = new Set(['title', 'description', 'default', '$comment', 'examples', '$schema', '$id', 'id', '$anchor', 'readOnly', 'writeOnly', 'deprecated']);
const NOT_ANALYSED = ['allOf', 'not', 'if', 'then', 'else', 'dependencies', 'dependentSchemas', 'dependentRequired', 'patternProperties'];

function isNode(v: unknown): v is Node {
  return typeof v === 'boolean' || (typeof v === 'object' && v !== null && !Array.isArray(v));
}

function pointer(root: Node, fragment: string, ref: string): Node {
  if (isAnchorFragment(fragment)) {
    const named = findAnchor(root, fragment);
    if ('problem' in named) throw new Error(`$ref ${ref} ${named.problem}`);
    return named.schema;
  }
  let node: unknown = root;
  const path = fragment.replace(/^\//, '');
  if (path !== '') {
    for (const raw of path.split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  if (!isNode(node)) throw new Error(`$ref ${ref} does not point at a schema`);
  return node;
}

/** Checks the parts every JSON Schema draft agrees on, and that every $ref resolves. */
function validate(value: unknown, doc: JsonSchemaDoc, where: string): void {
  if (typeof value === 'boolean') return;
  if (!isNode(value)) throw new Error(`${where} is not a schema (an object or a boolean)`);
  const node = value as Record<string, unknown>;
  const type = node.type;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    for (const t of types) if (typeof t !== 'string' || !JSON_TYPES.has(t)) throw new Error(`${where}: unknown type ${JSON.stringify(t)}`);
  }
  if (typeof node.$ref === 'string') doc.resolve(node.$ref, doc);
  if (node.required !== undefined && (!Array.isArray(node.required) || node.required.some((r: unknown) => typeof r !== 'string'))) {
    throw new Error(`${where}: required must be an array of strings`);
  }
  if (node.enum !== undefined && !Array.isArray(node.enum)) throw new Error(`${where}: enum must be an array`);
  for (const key of ['properties', 'definitions', '$defs', 'patternProperties']) {
    const map = node[key];
    if (map === undefined) continue;
    if (!map || typeof map !== 'object' || Array.isArray(map)) throw new Error(`${where}: ${key} must be an object`);
    for (const [name, sub] of Object.entries(map)) validate(sub, doc, `${where}/${key}/${name}`);
  }
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else']) {
    const sub = node[key];
    if (sub === undefined) continue;
    if (Array.isArray(sub)) sub.forEach((s, i) => validate(s, doc, `${where}/${key}/${i}`));
    else validate(sub, doc, `${where}/${key}`);
  }
  for (const key of ['oneOf', 'anyOf', 'allOf']) {
    const list = node[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new Error(`${where}: ${key} must be an array`);
    list.forEach((s, i) => validate(s, doc, `${where}/${key}/${i}`));
  }
}

function load(schema: ResolvedSchema): JsonSchemaDoc {
  const root = parseJsonText(schema.schema, 'JSON schema');
  if (!isNode(root)) throw new Error('JSON schema must be an object or a boolean');
  const deps = new Map<string, JsonSchemaDoc>();
  for (const [name, dep] of schema.dependencies) deps.set(name, load(dep));
  const doc: JsonSchemaDoc = {
    root,
    resolve(ref, from) {
      const hash = ref.indexOf('#');
      const base = hash < 0 ? ref : ref.slice(0, hash);
      const fragment = hash < 0 ? '' : ref.slice(hash + 1);
      if (base === '') return { node: pointer(from.root, fragment, ref), doc: from };
      // External refs name a reference ({name, subject, version}) of the document they are in.
      const target = from === doc ? deps.get(base) : undefined;
      if (!target) {
        if (from !== doc) return from.resolve(ref, from);
        throw new Error(`$ref ${ref} names no schema reference`);
      }
      return { node: pointer(target.root, fragment, ref), doc: target };
    },
  };
  return doc;
}

export const jsonSchemaHandler: SchemaHandler<JsonSchemaDoc> = {
  parse(schema) {
    try {
      const doc = load(schema);
      validate(doc.root, doc, '#');
      return doc;
    } catch (err) {
      throw new Error(`Invalid JSON schema: ${(err as Error).message}`);
    }
  },
  canonical(schema, normalize) {
    const json = parseJsonText(schema, 'JSON schema');
    return normalize ? sortedJson(json) : JSON.stringify(json);
  },
  readerIssues(reader, writer) {
    const issues: string[] = [];
    new Comparison(issues).compare({ node: reader.root, doc: reader }, { node: writer.root, doc: writer }, '#');
    return issues;
  },
};

interface Located {
  node: Node;
  doc: JsonSchemaDoc;
}

type Obj = Record<string, unknown>;

/**
 * Whether a reader branch reads a writer branch, per pair of (dereferenced) nodes, shared by a
 * comparison and every trial it runs for oneOf/anyOf branches. Without it each trial started
 * afresh: nested oneOfs took time exponential in their depth, and a recursive $ref through a
 * oneOf never ended (a stack overflow). A pair met again while it is being decided is taken
 * as readable (recursive types compare coinductively); when a pair whose decision leaned on
 * such an assumption turns out not to be readable, the results decided meanwhile are dropped.
 */
class BranchResults {
  private readonly results = new Map<Node, Map<Node, boolean | 'deciding'>>();
  private readonly log: Array<[Node, Node]> = [];
  /** How many times a pair still being decided was taken as readable. */
  private assumptions = 0;

  get(r: Node, w: Node): boolean | 'deciding' | undefined {
    const v = this.results.get(r)?.get(w);
    if (v === 'deciding') this.assumptions++;
    return v;
  }

  start(r: Node, w: Node): { at: number; assumptions: number } {
    this.set(r, w, 'deciding');
    return { at: this.log.length, assumptions: this.assumptions };
  }

  finish(r: Node, w: Node, readable: boolean, started: { at: number; assumptions: number }): void {
    if (!readable && this.assumptions > started.assumptions) {
      for (const [rr, ww] of this.log.splice(started.at)) this.results.get(rr)?.delete(ww);
    }
    this.set(r, w, readable);
  }

  private set(r: Node, w: Node, v: boolean | 'deciding'): void {
    let row = this.results.get(r);
    if (!row) this.results.set(r, (row = new Map()));
    if (!row.has(w)) this.log.push([r, w]);
    row.set(w, v);
  }
}

/** One walk over a reader and a writer schema, collecting why the reader rejects writer data. */
class Comparison {
  private readonly seen = new Map<Node, Set<Node>>();
  constructor(
    private readonly issues: string[],
    private readonly branches = new BranchResults(),
  ) {}

  private deref(at: Located): Located {
    let cur = at;
    for (let hops = 0; typeof cur.node === 'object' && typeof cur.node.$ref === 'string'; hops++) {
      if (hops > 32) throw new Error('$ref chain too long');
      cur = cur.doc.resolve(cur.node.$ref as string, cur.doc);
    }
    return cur;
  }

  compare(readerAt: Located, writerAt: Located, path: string): void {
    const r = this.deref(readerAt);
    const w = this.deref(writerAt);
    // Recursive schemas: a pair already under comparison is assumed compatible here.
    const pairs = this.seen.get(r.node) ?? new Set<Node>();
    if (pairs.has(w.node)) return;
    pairs.add(w.node);
    this.seen.set(r.node, pairs);

    if (acceptsAnything(r.node) || w.node === false) return;
    if (r.node === false) return this.issue(path, 'reader accepts nothing');
    const rn = r.node as Obj;
    const wn = (w.node === true ? {} : w.node) as Obj;

    if (this.compareCombinations(r, w, rn, wn, path)) return;
    for (const key of NOT_ANALYSED) {
      if (sortedJson(rn[key] ?? null) !== sortedJson(wn[key] ?? null)) this.issue(path, `${key} changed (not analysed, treated as incompatible)`);
    }
    this.compareTypes(rn, wn, path);
    this.compareEnums(rn, wn, path);
    this.compareBounds(rn, wn, path);
    if (rn.pattern !== undefined && rn.pattern !== wn.pattern) this.issue(path, 'pattern added or changed');
    if (rn.format !== undefined && rn.format !== wn.format) this.issue(path, 'format added or changed');
    this.compareObjects(r, w, rn, wn, path);
    this.compareArrays(r, w, rn, wn, path);
  }

  private issue(path: string, what: string): void {
    this.issues.push(`${path}: ${what}`);
  }

  /** oneOf/anyOf: every writer branch must be readable by some reader branch. Returns true when handled. */
  private compareCombinations(r: Located, w: Located, rn: Obj, wn: Obj, path: string): boolean {
    const rBranches = (rn.oneOf ?? rn.anyOf) as Node[] | undefined;
    const wBranches = (wn.oneOf ?? wn.anyOf) as Node[] | undefined;
    if (!rBranches && !wBranches) return false;
    const writerList = wBranches ?? [w.node];
    writerList.forEach((wb, i) => {
      const readers = rBranches ?? [r.node];
      const readable = readers.some((rb) => this.branchReadable({ node: rb, doc: r.doc }, { node: wb, doc: w.doc }, path));
      if (!readable) this.issue(path, `combined schema narrowed: writer branch ${i} matches no reader branch`);
    });
    return true;
  }

  private branchReadable(rAt: Located, wAt: Located, path: string): boolean {
    const r = this.deref(rAt);
    const w = this.deref(wAt);
    const known = this.branches.get(r.node, w.node);
    if (known !== undefined) return known !== false;
    const started = this.branches.start(r.node, w.node);
    const trial: string[] = [];
    new Comparison(trial, this.branches).compare(r, w, path);
    this.branches.finish(r.node, w.node, trial.length === 0, started);
    return trial.length === 0;
  }

  private compareTypes(rn: Obj, wn: Obj, path: string): void {
    const rt = typesOf(rn);
    if (!rt) return;
    const wt = typesOf(wn);
    if (!wt) return this.issue(path, `type narrowed from any to ${[...rt].join('|')}`);
    for (const t of wt) {
      if (rt.has(t) || (t === 'integer' && rt.has('number'))) continue;
      this.issue(path, `type narrowed: ${t} is no longer accepted (reader: ${[...rt].join('|')})`);
    }
  }

  private compareEnums(rn: Obj, wn: Obj, path: string): void {
    if (!Array.isArray(rn.enum)) return;
    if (!Array.isArray(wn.enum)) return this.issue(path, 'enum added');
    const allowed = new Set(rn.enum.map((v) => sortedJson(v)));
    const missing = wn.enum.filter((v) => !allowed.has(sortedJson(v)));
    if (missing.length > 0) this.issue(path, `enum narrowed: ${missing.map((v) => JSON.stringify(v)).join(', ')} removed`);
  }

  private compareBounds(rn: Obj, wn: Obj, path: string): void {
    const upper = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];
    const lower = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'];
    for (const key of upper) {
      const rv = rn[key];
      if (typeof rv !== 'number') continue;
      const wv = wn[key];
      if (typeof wv !== 'number' || wv > rv) this.issue(path, `${key} added or decreased`);
    }
    for (const key of lower) {
      const rv = rn[key];
      if (typeof rv !== 'number') continue;
      const wv = wn[key];
      if (typeof wv !== 'number' || wv < rv) this.issue(path, `${key} added or increased`);
    }
  }

  private compareObjects(r: Located, w: Located, rn: Obj, wn: Obj, path: string): void {
    const rProps = (rn.properties ?? {}) as Record<string, Node>;
    const wProps = (wn.properties ?? {}) as Record<string, Node>;
    const rExtra = additional(rn);
    const wExtra = additional(wn);
    for (const [name, wp] of Object.entries(wProps)) {
      const at = `${path}/properties/${name}`;
      if (name in rProps) this.compare({ node: rProps[name], doc: r.doc }, { node: wp, doc: w.doc }, at);
      else if (rExtra === false) this.issue(at, 'property removed from a closed content model');
      else if (rExtra !== true) this.compare({ node: rExtra, doc: r.doc }, { node: wp, doc: w.doc }, at);
    }
    for (const [name, rp] of Object.entries(rProps)) {
      if (name in wProps || wExtra === false) continue;
      const at = `${path}/properties/${name}`;
      // An open writer may have put any value under this name.
      if (wExtra === true) {
        if (!acceptsAnything(this.deref({ node: rp, doc: r.doc }).node)) this.issue(at, 'property added to an open content model');
      } else this.compare({ node: rp, doc: r.doc }, { node: wExtra, doc: w.doc }, at);
    }
    if (rExtra !== true && wExtra !== false) {
      if (rExtra === false) this.issue(path, 'additionalProperties narrowed (content model closed)');
      else if (wExtra === true) {
        if (!acceptsAnything(rExtra)) this.issue(path, 'additionalProperties narrowed');
      } else this.compare({ node: rExtra, doc: r.doc }, { node: wExtra, doc: w.doc }, `${path}/additionalProperties`);
    }
    const wRequired = new Set((wn.required ?? []) as string[]);
    for (const name of (rn.required ?? []) as string[]) {
      if (wRequired.has(name)) continue;
      const prop = rProps[name];
      const hasDefault = typeof prop === 'object' && prop !== null && 'default' in prop;
      if (!hasDefault) this.issue(`${path}/required/${name}`, 'required property added');
    }
  }

  private compareArrays(r: Located, w: Located, rn: Obj, wn: Obj, path: string): void {
    const ri = rn.items;
    if (ri === undefined || Array.isArray(ri)) {
      if (Array.isArray(ri) && sortedJson(ri) !== sortedJson(wn.items ?? null)) this.issue(path, 'tuple items changed (not analysed)');
      return;
    }
    const wi = wn.items;
    if (wi === undefined) {
      if (!acceptsAnything(ri as Node)) this.issue(`${path}/items`, 'items constrained where the writer allowed any item');
      return;
    }
    if (Array.isArray(wi)) {
      wi.forEach((item, i) => this.compare({ node: ri as Node, doc: r.doc }, { node: item as Node, doc: w.doc }, `${path}/items/${i}`));
      return;
    }
    this.compare({ node: ri as Node, doc: r.doc }, { node: wi as Node, doc: w.doc }, `${path}/items`);
  }
}

function typesOf(node: Obj): Set<string> | undefined {
  const t = node.type;
  if (t === undefined) return undefined;
  return new Set((Array.isArray(t) ? t : [t]) as string[]);
}

/** additionalProperties as true (open), false (closed) or the schema extra properties must match. */
function additional(node: Obj): Node {
  const v = node.additionalProperties;
  if (v === undefined) return true;
  return isNode(v) ? (acceptsAnything(v) ? true : v) : true;
}

/** true, {} or a schema made only of annotations: every document is valid. */
function acceptsAnything(node: Node): boolean {
  if (node === true) return true;
  if (node === false) return false;
  return Object.keys(node).every((k) => ANNOTATIONS.has(k));
}
