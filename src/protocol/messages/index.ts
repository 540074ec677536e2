/** Every API lakegate speaks, keyed by API key. */
import type { ApiSchema } from '../schema/types.js';
import { ApiVersions } from './api-versions.js';
import { CreateTopics } from './create-topics.js';
import { DeleteTopics } from './delete-topics.js';
import { DescribeConfigs } from './describe-configs.js';
import { Fetch } from './fetch.js';
import { FindCoordinator } from './find-coordinator.js';
import { InitProducerId } from './init-producer-id.js';
import { ListOffsets } from './list-offsets.js';
import { Metadata } from './metadata.js';
import { Produce } from './produce.js';

export const API_SCHEMAS: ReadonlyMap<number, ApiSchema> = new Map(
  [Produce, Fetch, ListOffsets, Metadata, FindCoordinator, ApiVersions, CreateTopics, DeleteTopics, InitProducerId, DescribeConfigs].map(
    (api) => [api.apiKey, api],
  ),
);

export * from './api-versions.js';
export * from './create-topics.js';
export * from './delete-topics.js';
export * from './describe-configs.js';
export * from './fetch.js';
export * from './find-coordinator.js';
export * from './init-producer-id.js';
export * from './list-offsets.js';
export * from './metadata.js';
export * from './produce.js';
