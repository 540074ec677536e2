/**
 * Start-ups lakegate must refuse with one line naming what is wrong (no stack trace), changing
 * nothing: a damaged meta file (cluster.json, tables.json, topics.json) is never replaced,
 * since a new one would give the cluster a new id or point topics at other tables; a config
 * file that cannot be read; a partition count for auto-created topics past the bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { kafkaClient } from '../support/kafka-client.js';
import { CLI, freshDataDir, removeDir, startLakegate } from '../support/lakegate-process.js';

interface Outcome {
  /** Exit code, or 'started' when it came up (and was stopped) instead of refusing. */
  code: number | 'started';
  stderr: string;
}

/** Runs `lakegate serve` on loopback with free ports until it exits or reports ready. */
function serve(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--kafka-port', '0', '--http-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  let started = false;
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!started && /lakegate ready/.test(stdout)) {
      started = true;
      child.kill('SIGTERM');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: started ? 'started' : (code ?? -1), stderr: stderr + stdout });
    });
  });
}

/** The refusal is one line, `lakegate: <message>`, with no stack or log record. */
function assertOneLine(outcome: Outcome, code: number, message: RegExp): void {
  assert.equal(outcome.code, code, outcome.stderr);
  const lines = outcome.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, not:\n${outcome.stderr}`);
  assert.match(lines[0]!, /^lakegate: /);
  assert.match(lines[0]!, message);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a damaged cluster.json, tables.json or topics.json stops the start with the file and the problem named, and is left as it is', async () => {
  const dataDir = freshDataDir();
  try {
    // A data dir with all three files: a topic with a table gets its name in tables.json.
    const first = await startLakegate({ dataDir });
    const kafka = kafkaClient(first.port);
    const admin = kafka.admin();
    await admin.connect();
    const { clusterId } = await admin.describeCluster();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
    await admin.disconnect();
    const meta = path.join(dataDir, 'meta');
    for (let i = 0; i < 100 && !existsSync(path.join(meta, 'tables.json')); i++) await new Promise((r) => setTimeout(r, 100));
    await first.stop();

    const damages: Array<{ file: string; contents: string; problem: RegExp }> = [
      { file: 'cluster.json', contents: '{"clusterId": "abc', problem: /is not valid JSON .*restore it from a backup/ },
      { file: 'cluster.json', contents: '{"clusterId": 5}', problem: /expected \{"clusterId": "<non-empty string>"\}/ },
      { file: 'tables.json', contents: '{"0123', problem: /is not valid JSON .*maps topic ids to table names/ },
      { file: 'tables.json', contents: JSON.stringify({ [('ab'.repeat(16))]: 7 }), problem: /the table name of "(ab){16}" is not a non-empty string/ },
      { file: 'topics.json', contents: '{"topics": {}}', problem: /expected \{"topics": \[\.\.\.\], "deleting": \[\.\.\.\]\}/ },
    ];
    for (const { file, contents, problem } of damages) {
      const target = path.join(meta, file);
      const good = readFileSync(target, 'utf8');
      writeFileSync(target, contents);
      const outcome = await serve(['--data-dir', dataDir]);
      assertOneLine(outcome, 1, new RegExp(`${escape(target)} .*${problem.source}`));
      assert.equal(readFileSync(target, 'utf8'), contents, `${file} was left as it was`);
      writeFileSync(target, good);
    }

    // Restored, the node starts with its own cluster id and topic.
    const again = await startLakegate({ dataDir });
    const admin2 = kafkaClient(again.port).admin();
    await admin2.connect();
    assert.equal((await admin2.describeCluster()).clusterId, clusterId);
    assert.deepEqual(await admin2.listTopics(), ['orders']);
    await admin2.disconnect();
    await again.stop();
  } finally {
    removeDir(dataDir);
  }
});

test('a --config file that is missing or unreadable is named in one line, and the start is refused', async () => {
  const dataDir = freshDataDir();
  try {
    const missing = path.join(dataDir, 'no-such.properties');
    assertOneLine(await serve(['--data-dir', dataDir, '--config', missing]), 2, new RegExp(`^lakegate: cannot read the config file ${escape(missing)}: no such file$`));
    assertOneLine(await serve(['--data-dir', dataDir], { LAKEGATE_CONFIG: dataDir }), 2, new RegExp(`^lakegate: cannot read the config file ${escape(dataDir)}: it is a directory$`));
    const broken = path.join(dataDir, 'broken.json');
    writeFileSync(broken, '{"num.partitions": ');
    assertOneLine(await serve(['--data-dir', dataDir, '--config', broken]), 2, new RegExp(`^lakegate: the config file ${escape(broken)} is not valid JSON`));
  } finally {
    removeDir(dataDir);
  }
});

test('num.partitions for auto-created topics past 10,000 (the CreateTopics bound) is refused at start', async () => {
  const dataDir = freshDataDir();
  try {
    assertOneLine(await serve(['--data-dir', dataDir, '--num-partitions', '10001']), 2, /^lakegate: --num-partitions: at most 10000 partitions, not 10001$/);
    const file = path.join(dataDir, 'lakegate.properties');
    writeFileSync(file, 'num.partitions=10000000\n');
    assertOneLine(await serve(['--data-dir', dataDir, '--config', file]), 2, /^lakegate: num\.partitions in the config file: at most 10000 partitions, not 10000000$/);
  } finally {
    removeDir(dataDir);
  }
});
