/**
 * The partition value of a row from its Kafka timestamp, with Iceberg's hour and day
 * transforms: floor(micros / 3.6e9) and floor(micros / 8.64e10). Micros are ms * 1000, so
 * the same floor works on ms with no bigint arithmetic per row.
 */
import type { PartitionTransform } from './task.js';

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

export function partitionValueOf(transform: PartitionTransform, timestampMs: number): number | null {
  switch (transform) {
    case 'hour':
      return Math.floor(timestampMs / MS_PER_HOUR);
    case 'day':
      return Math.floor(timestampMs / MS_PER_DAY);
    case 'none':
      return null;
  }
}
