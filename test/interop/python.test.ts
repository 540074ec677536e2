/**
 * confluent-kafka for Python (librdkafka bundled in the wheel) with enable.idempotence=true,
 * once per compression.type: RECORD_COUNT keyed records with headers into a topic that the
 * server auto-creates with 2 partitions (--num-partitions 2), then ListOffsets (kafkajs) and
 * dump-log must show exactly what the delivery reports acknowledged.
 */
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  CODECS,
  INTEROP_DIR,
  RECORD_COUNT,
  TEST_TIMEOUT_MS,
  assertSucceeded,
  expectedRecord,
  pythonBin,
  readAcks,
  run,
  topicName,
  verifyProduced,
  withLakegate,
} from './support.js';

const PARTITIONS = 2;

describe('confluent-kafka (librdkafka)', () => {
  for (const codec of CODECS) {
    test(`producer, enable.idempotence=true, compression.type=${codec}: ${RECORD_COUNT} records`, { timeout: TEST_TIMEOUT_MS }, () =>
      withLakegate(
        `python-${codec}`,
        async (lg) => {
          const topic = topicName(`python-${codec}`);
          const acksFile = path.join(lg.workDir, 'acks.tsv');
          const start = Date.now();
          const r = await run(
            pythonBin(),
            [path.join(INTEROP_DIR, 'python', 'producer.py'), lg.bootstrap, topic, codec, String(RECORD_COUNT), acksFile, ...(process.env.INTEROP_RDKAFKA_DEBUG ? [`debug=${process.env.INTEROP_RDKAFKA_DEBUG}`] : [])],
            { logFile: path.join(lg.workDir, 'client.log') },
          );
          const end = Date.now();
          assertSucceeded(r, `confluent-kafka producer (${codec})`);
          await verifyProduced(lg, {
            topic,
            count: RECORD_COUNT,
            expected: (i) => expectedRecord(i, codec),
            acks: readAcks(acksFile),
            timestampType: 'CreateTime',
            window: { start, end },
            partitions: PARTITIONS,
            codec,
            idempotent: true,
          });
        },
        { args: ['--num-partitions', String(PARTITIONS)] },
      ),
    );
  }
});
