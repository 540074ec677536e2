/**
 * Java kafka-clients (newest 3.9.x and newest 4.x, see versions.env) against a real lakegate:
 *  - the producer with its DEFAULT configuration (enable.idempotence=true, acks=all) once per
 *    compression.type, RECORD_COUNT keyed records with headers into an auto-created topic,
 *    then ListOffsets (kafkajs) and dump-log must show exactly what was acknowledged;
 *  - the AdminClient creating a 3-partition topic with configs and checking describeCluster,
 *    createTopics (again: TOPIC_ALREADY_EXISTS), listTopics, describeTopics and describeConfigs
 *    (java/.../AdminCheck.java asserts the answers), then the producer writing into that topic
 *    (LogAppendTime: the log must carry the broker's timestamps, and all 3 partitions get data).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  CODECS,
  RECORD_COUNT,
  TEST_TIMEOUT_MS,
  assertSucceeded,
  expectedRecord,
  javaClasspath,
  javaVersions,
  readAcks,
  run,
  topicName,
  verifyProduced,
  withLakegate,
  type RunResult,
} from './support.js';

function java(version: string, main: string, args: string[], logFile: string): Promise<RunResult> {
  const logLevel = process.env.INTEROP_JAVA_LOG ?? 'warn';
  return run(
    'java',
    ['-Xmx512m', `-Dorg.slf4j.simpleLogger.defaultLogLevel=${logLevel}`, '-cp', javaClasspath(version), `lakegate.interop.${main}`, ...args],
    { logFile },
  );
}

const versions = javaVersions();
test('versions.env names a kafka-clients 3.9.x and a 4.x version', () => {
  assert.equal(versions.length, 2, `versions: ${versions.join(', ')}`);
  assert.match(versions[0], /^3\.9\.\d+$/);
  assert.match(versions[1], /^4\.\d+\.\d+$/);
});

for (const version of versions) {
  const slug = `java${version.replace(/\./g, '_')}`;
  describe(`Java kafka-clients ${version}`, () => {
    for (const codec of CODECS) {
      test(`producer, default config (idempotent, acks=all), compression.type=${codec}: ${RECORD_COUNT} records`, { timeout: TEST_TIMEOUT_MS }, () =>
        withLakegate(`${slug}-${codec}`, async (lg) => {
          const topic = topicName(`${slug}-${codec}`);
          const acksFile = path.join(lg.workDir, 'acks.tsv');
          const start = Date.now();
          const r = await java(version, 'Producer', [lg.bootstrap, topic, codec, String(RECORD_COUNT), acksFile], path.join(lg.workDir, 'client.log'));
          const end = Date.now();
          assertSucceeded(r, `Java ${version} producer (${codec})`);
          await verifyProduced(lg, {
            topic,
            count: RECORD_COUNT,
            expected: (i) => expectedRecord(i, codec),
            acks: readAcks(acksFile),
            timestampType: 'CreateTime',
            window: { start, end },
            codec,
            idempotent: true,
          });
        }),
      );
    }

    test('AdminClient: createTopics with configs, describeCluster/Topics/Configs; producer into it (3 partitions, LogAppendTime)', { timeout: TEST_TIMEOUT_MS }, () =>
      withLakegate(`${slug}-admin`, async (lg) => {
        const topic = topicName(`${slug}-admin`);
        const a = await java(version, 'AdminCheck', [lg.bootstrap, topic], path.join(lg.workDir, 'admin.log'));
        assertSucceeded(a, `Java ${version} AdminCheck`);
        assert.match(a.stdout, /ADMIN OK/);

        const codec = 'lz4';
        const acksFile = path.join(lg.workDir, 'acks.tsv');
        const start = Date.now();
        const r = await java(version, 'Producer', [lg.bootstrap, topic, codec, String(RECORD_COUNT), acksFile], path.join(lg.workDir, 'client.log'));
        const end = Date.now();
        assertSucceeded(r, `Java ${version} producer into the admin-created topic`);
        const v = await verifyProduced(lg, {
          topic,
          count: RECORD_COUNT,
          expected: (i) => expectedRecord(i, codec),
          acks: readAcks(acksFile),
          timestampType: 'LogAppendTime',
          window: { start, end },
          partitions: 3,
          codec,
          idempotent: true,
        });
        assert.ok(
          v.perPartition.every((n) => n > 0),
          `keyed records should spread over all 3 partitions, got ${v.perPartition.join('/')}`,
        );
      }),
    );
  });
}
