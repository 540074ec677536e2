/** The handler for every API key lakegate answers; ApiVersions advertises exactly these. */
import type { ApiHandler } from '../handler.js';
import { apiVersionsHandler } from './api-versions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeConfigsHandler } from './describe-configs.js';
import { fetchHandler } from './fetch.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';

export function supportedApiVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...HANDLERS.values()]
    .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.api.versions.min, maxVersion: h.api.versions.max }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

export const HANDLERS: ReadonlyMap<number, ApiHandler> = new Map(
  [
    produceHandler,
    fetchHandler,
    listOffsetsHandler,
    metadataHandler,
    findCoordinatorHandler,
    apiVersionsHandler(supportedApiVersions),
    createTopicsHandler,
    deleteTopicsHandler,
    initProducerIdHandler,
    describeConfigsHandler,
  ].map((h) => [h.api.apiKey, h]),
);
