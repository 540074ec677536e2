/**
 * The schema-backed value formats by name (topic config value.format) and by the registry's
 * schemaType, each with its TypedFormat.
 */
import { avroFormat } from './avro-format.js';
import { jsonSchemaFormat } from './json-schema-format.js';
import { protobufFormat } from './protobuf-format.js';
import type { TypedValueFormat } from './task.js';
import type { RegistrySchemaType, TypedFormat } from './typed-format.js';

export const TYPED_FORMATS: Record<TypedValueFormat, { schemaType: RegistrySchemaType; format: TypedFormat }> = {
  avro: { schemaType: 'AVRO', format: avroFormat },
  protobuf: { schemaType: 'PROTOBUF', format: protobufFormat },
  jsonschema: { schemaType: 'JSON', format: jsonSchemaFormat },
};

export function isTypedValueFormat(format: string): format is TypedValueFormat {
  return Object.hasOwn(TYPED_FORMATS, format);
}

/** The value.format a registered schema type decodes with. */
export function valueFormatOf(schemaType: RegistrySchemaType): TypedValueFormat {
  for (const [name, entry] of Object.entries(TYPED_FORMATS)) if (entry.schemaType === schemaType) return name as TypedValueFormat;
  throw new Error(`no value format decodes ${schemaType} schemas`);
}

export function typedFormat(format: TypedValueFormat): TypedFormat {
  const entry = TYPED_FORMATS[format];
  if (!entry) throw new Error(`value format ${format} has no decoder`);
  return entry.format;
}
