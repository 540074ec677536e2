/**
 * lakegate's message schemas are written by hand; this test holds them to Kafka's own JSON
 * message definitions (shared/reference/kafka-message-specs): for every version both sides
 * cover, the same fields in the same order, with the same types, nullability and tags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { API_SCHEMAS } from '../../../src/protocol/messages/index.js';
import type { FieldType, StructSchema } from '../../../src/protocol/schema/types.js';
import { inRange, parseVersions } from '../../../src/protocol/schema/versions.js';

const SPEC_DIR = path.resolve(process.cwd(), '../shared/reference/kafka-message-specs');

interface SpecField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  fields?: SpecField[];
}

interface Spec {
  apiKey: number;
  validVersions: string;
  fields: SpecField[];
  commonStructs?: Array<{ name: string; fields: SpecField[] }>;
}

function loadSpec(file: string): Spec {
  const text = readFileSync(path.join(SPEC_DIR, file), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  return JSON.parse(text) as Spec;
}

function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

function describeOurs(type: FieldType): string {
  if (type.kind === 'primitive') return type.type;
  if (type.kind === 'array') return `[]${describeOurs(type.of)}`;
  return 'struct';
}

function describeSpec(type: string, hasFields: boolean): string {
  if (type.startsWith('[]')) return `[]${describeSpec(type.slice(2), hasFields)}`;
  return hasFields || /^[A-Z]/.test(type) ? 'struct' : type;
}

function compareStruct(where: string, ours: StructSchema, spec: SpecField[], common: Map<string, SpecField[]>, version: number): void {
  const specActive = spec.filter((f) => inRange(parseVersions(f.versions), version));
  const ourActive = ours.fields.filter((f) => inRange(f.versions, version));
  assert.deepEqual(
    ourActive.map((f) => f.name),
    specActive.map((f) => camel(f.name)),
    `${where} v${version}: field list`,
  );
  specActive.forEach((sf, i) => {
    const of = ourActive[i];
    const at = `${where}.${sf.name} v${version}`;
    const sfFields = sf.fields ?? common.get(sf.type.replace(/^\[\]/, ''));
    assert.equal(describeOurs(of.type), describeSpec(sf.type, sfFields !== undefined), `${at}: type`);
    const specNullable = sf.nullableVersions !== undefined && inRange(parseVersions(sf.nullableVersions), version);
    const ourNullable = of.nullable !== null && inRange(of.nullable, version);
    assert.equal(ourNullable, specNullable, `${at}: nullability`);
    const specTagged = sf.taggedVersions !== undefined && inRange(parseVersions(sf.taggedVersions), version);
    assert.equal(of.tag !== null, specTagged, `${at}: tagged or not`);
    if (specTagged) assert.equal(of.tag, sf.tag, `${at}: tag number`);
    if (sfFields) {
      const inner = of.type.kind === 'array' ? of.type.of : of.type;
      assert.equal(inner.kind, 'struct', `${at}: struct expected`);
      if (inner.kind === 'struct') compareStruct(`${where}.${sf.name}`, inner.struct, sfFields, common, version);
    }
  });
}

test('the Kafka message specs are present (they live in ../shared)', () => {
  assert.ok(existsSync(SPEC_DIR), `expected Kafka's message specs at ${SPEC_DIR}`);
});

for (const api of API_SCHEMAS.values()) {
  test(`${api.name} matches Kafka's message spec for every shared version`, () => {
    for (const side of ['Request', 'Response'] as const) {
      const spec = loadSpec(`${api.name}${side}.json`);
      assert.equal(spec.apiKey, api.apiKey);
      const specVersions = parseVersions(spec.validVersions);
      const common = new Map((spec.commonStructs ?? []).map((c) => [c.name, c.fields]));
      let compared = 0;
      for (let v = api.versions.min; v <= Math.min(api.versions.max, specVersions.max); v++) {
        compareStruct(`${api.name}${side}`, side === 'Request' ? api.request : api.response, spec.fields, common, v);
        compared++;
      }
      assert.ok(compared > 0, `${api.name}${side}: no version in common with the spec`);
    }
  });
}
