/**
 * kcat (librdkafka, from the distribution):
 *  - `kcat -P` with keys (-K, tab-delimited) and headers (-H) from a file of RECORD_COUNT
 *    lines, once per compression.codec, into an auto-created topic; kcat reports no per-record
 *    offsets, so ListOffsets (kafkajs) must total RECORD_COUNT and dump-log must hold exactly
 *    the lines sent (as a multiset over the topic) at contiguous offsets;
 *  - `kcat -L` (text and -J JSON) must list the topic and this broker at its address.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  CODECS,
  RECORD_COUNT,
  TEST_TIMEOUT_MS,
  assertSucceeded,
  expectedRecord,
  kcatBin,
  run,
  topicName,
  verifyProduced,
  withLakegate,
  type ExpectedRecord,
} from './support.js';

function kcatRecord(i: number, codec: string): ExpectedRecord {
  const r = expectedRecord(i, codec);
  return { ...r, headers: [['h', 'kcat'], ['c', codec]] };
}

interface KcatMetadata {
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{ topic: string; err?: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
}

describe('kcat', () => {
  for (const codec of CODECS) {
    test(`-P with keys and headers, compression.codec=${codec}: ${RECORD_COUNT} lines; -L lists topic and broker`, { timeout: TEST_TIMEOUT_MS }, () =>
      withLakegate(`kcat-${codec}`, async (lg) => {
        const kcat = kcatBin();
        const topic = topicName(`kcat-${codec}`);
        const input = path.join(lg.workDir, 'input.txt');
        const lines: string[] = [];
        for (let i = 0; i < RECORD_COUNT; i++) {
          const r = kcatRecord(i, codec);
          lines.push(`${r.key}\t${r.value}`);
        }
        writeFileSync(input, lines.join('\n') + '\n');
        const start = Date.now();
        const p = await run(
          kcat,
          ['-P', '-b', lg.bootstrap, '-t', topic, '-K', '\t', '-H', 'h=kcat', '-H', `c=${codec}`, '-X', `compression.codec=${codec}`, '-l', input],
          { logFile: path.join(lg.workDir, 'client.log') },
        );
        const end = Date.now();
        assertSucceeded(p, `kcat -P (${codec})`);
        assert.doesNotMatch(p.stderr, /ERROR|Delivery failed/i, `kcat -P reported errors:\n${p.stderr.slice(-3000)}`);

        // -L, human-readable
        const l = await run(kcat, ['-L', '-b', lg.bootstrap], { logFile: path.join(lg.workDir, 'client.log'), timeoutMs: 30_000 });
        assertSucceeded(l, 'kcat -L');
        assert.match(l.stdout, new RegExp(`broker \\d+ at 127\\.0\\.0\\.1:${lg.kafkaPort}`), `kcat -L should list this broker:\n${l.stdout}`);
        assert.match(l.stdout, new RegExp(`topic "${topic}" with \\d+ partitions`), `kcat -L should list ${topic}:\n${l.stdout}`);

        // -L -J for one topic, structured
        const j = await run(kcat, ['-L', '-J', '-b', lg.bootstrap, '-t', topic], { logFile: path.join(lg.workDir, 'client.log'), timeoutMs: 30_000 });
        assertSucceeded(j, 'kcat -L -J');
        const md = JSON.parse(j.stdout) as KcatMetadata;
        const broker = md.brokers.find((b) => b.name === `127.0.0.1:${lg.kafkaPort}`);
        assert.ok(broker, `kcat -L -J: broker 127.0.0.1:${lg.kafkaPort} missing from ${JSON.stringify(md.brokers)}`);
        const t = md.topics.find((x) => x.topic === topic);
        assert.ok(t, `kcat -L -J: topic ${topic} missing`);
        assert.equal(t.err, undefined, `kcat -L -J: topic error ${t.err}`);
        assert.ok(t.partitions.length > 0, 'kcat -L -J: topic has no partitions');
        for (const part of t.partitions) {
          assert.equal(part.leader, broker.id, `partition ${part.partition} leader should be broker ${broker.id}`);
          assert.deepEqual(part.replicas.map((r) => r.id), [broker.id]);
          assert.deepEqual(part.isrs.map((r) => r.id), [broker.id]);
        }

        const v = await verifyProduced(lg, {
          topic,
          count: RECORD_COUNT,
          expected: (i) => kcatRecord(i, codec),
          timestampType: 'CreateTime',
          window: { start, end },
          codec,
        });
        assert.equal(v.offsets.length, t.partitions.length, 'ListOffsets and kcat -L should agree on the partition count');
      }),
    );
  }
});
