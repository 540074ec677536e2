import { defineApi, f, struct } from '../schema/types.js';

export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const;

/** Where a config value comes from, as DescribeConfigs reports it. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** ConfigType of DescribeConfigs v3+. */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

export interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  configType: number;
  documentation: string | null;
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string; configs: DescribedConfig[] }>;
}

export const DescribeConfigs = defineApi({
  apiKey: 32,
  name: 'DescribeConfigs',
  versions: '0-4',
  flexibleFrom: 4,
  request: struct(
    f.array(
      'resources',
      '0+',
      struct(f.int8('resourceType', '0+'), f.string('resourceName', '0+'), f.array('configurationKeys', '0+', 'string', { nullable: '0+' })),
    ),
    f.bool('includeSynonyms', '1+', { default: false }),
    f.bool('includeDocumentation', '3+', { default: false }),
  ),
  response: struct(
    f.int32('throttleTimeMs', '0+'),
    f.array(
      'results',
      '0+',
      struct(
        f.int16('errorCode', '0+'),
        f.string('errorMessage', '0+', { nullable: '0+' }),
        f.int8('resourceType', '0+'),
        f.string('resourceName', '0+'),
        f.array(
          'configs',
          '0+',
          struct(
            f.string('name', '0+'),
            f.string('value', '0+', { nullable: '0+' }),
            f.bool('readOnly', '0+'),
            f.bool('isDefault', '0'),
            f.int8('configSource', '1+', { default: -1 }),
            f.bool('isSensitive', '0+'),
            f.array('synonyms', '1+', struct(f.string('name', '1+'), f.string('value', '1+', { nullable: '0+' }), f.int8('source', '1+'))),
            f.int8('configType', '3+', { default: 0 }),
            f.string('documentation', '3+', { nullable: '0+' }),
          ),
        ),
      ),
    ),
  ),
});
