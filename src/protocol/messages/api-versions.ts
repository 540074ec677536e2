import { defineApi, f, struct } from '../schema/types.js';

export interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
  throttleTimeMs?: number;
}

export const ApiVersions = defineApi({
  apiKey: 18,
  name: 'ApiVersions',
  versions: '0-4',
  flexibleFrom: 3,
  request: struct(f.string('clientSoftwareName', '3+'), f.string('clientSoftwareVersion', '3+')),
  response: struct(
    f.int16('errorCode', '0+'),
    f.array('apiKeys', '0+', struct(f.int16('apiKey', '0+'), f.int16('minVersion', '0+'), f.int16('maxVersion', '0+'))),
    f.int32('throttleTimeMs', '1+'),
    f.array('supportedFeatures', '3+', struct(f.string('name', '3+'), f.int16('minVersion', '3+'), f.int16('maxVersion', '3+')), { tag: 0 }),
    f.int64('finalizedFeaturesEpoch', '3+', { tag: 1, default: -1n }),
    f.array('finalizedFeatures', '3+', struct(f.string('name', '3+'), f.int16('maxVersionLevel', '3+'), f.int16('minVersionLevel', '3+')), { tag: 2 }),
    f.bool('zkMigrationReady', '3+', { tag: 3, default: false }),
  ),
});
