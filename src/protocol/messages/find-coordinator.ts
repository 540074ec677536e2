import { defineApi, f, struct } from '../schema/types.js';

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

/**
 * Advertised because librdkafka keys features off its presence; lakegate has no group or
 * transaction coordinator yet, so every answer is COORDINATOR_NOT_AVAILABLE.
 */
export const FindCoordinator = defineApi({
  apiKey: 10,
  name: 'FindCoordinator',
  versions: '0-4',
  flexibleFrom: 3,
  request: struct(f.string('key', '0-3'), f.int8('keyType', '1+', { default: 0 }), f.array('coordinatorKeys', '4+', 'string')),
  response: struct(
    f.int32('throttleTimeMs', '1+'),
    f.int16('errorCode', '0-3'),
    f.string('errorMessage', '1-3', { nullable: '1-3' }),
    f.int32('nodeId', '0-3'),
    f.string('host', '0-3'),
    f.int32('port', '0-3'),
    f.array(
      'coordinators',
      '4+',
      struct(
        f.string('key', '4+'),
        f.int32('nodeId', '4+'),
        f.string('host', '4+'),
        f.int32('port', '4+'),
        f.int16('errorCode', '4+'),
        f.string('errorMessage', '4+', { nullable: '4+' }),
      ),
    ),
  ),
});
