/**
 * Shutdown waits for a discovery pass under way. A topic deleted and re-created while its
 * materializer's cycle is stuck in a schema registry call leaves the pass that noticed it
 * waiting for that materializer to stop; SIGTERM then used to finish the shutdown around the
 * pass (the materializer still busy, the pass free to start the new topic's materializer
 * after the stop). Now the stop waits for the pass, and the pass starts nothing once stopping.
 * The registry is another lakegate's, behind a proxy that holds its requests.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { waitForTableCaughtUp } from '../support/iceberg-table-reader.js';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { startPausableProxy, type PausableProxy } from '../support/pausable-proxy.js';

const order = { type: 'record', name: 'Order', namespace: 'acme', fields: [{ name: 'id', type: 'long' }] };
const orderType = avro.Type.forSchema(order as avro.Schema);

let registryHost: LakegateProcess;
let proxy: PausableProxy;
let node: LakegateProcess;

before(async () => {
  registryHost = await startLakegate();
  proxy = await startPausableProxy(`http://127.0.0.1:${registryHost.httpPort}`);
  node = await startLakegate({ args: ['--schema-registry-url', proxy.url] });
});

after(async () => {
  proxy?.resume();
  for (const p of [node, registryHost]) {
    await p?.stop();
    if (p) removeDir(p.dataDir);
  }
  await proxy?.close();
});

async function waitFor(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SIGTERM while discovery waits for a re-created topic\'s old materializer: the shutdown waits for it and starts nothing', async () => {
  const res = await fetch(`http://127.0.0.1:${registryHost.httpPort}/subjects/orders-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(order) }),
  });
  const { id } = (await res.json()) as { id: number };
  const framed = (n: number) => {
    const prefix = Buffer.alloc(5);
    prefix.writeInt32BE(id, 1);
    return Buffer.concat([prefix, orderType.toBuffer({ id: n })]);
  };
  const kafka = kafkaClient(node.port);
  await createTopic(kafka, 'orders', 1, { 'value.format': 'avro', 'table.commit.interval.ms': '100' });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', acks: -1, messages: [{ value: framed(1) }] });
  await waitForTableCaughtUp(node.httpPort, 'orders');

  // The next cycle asks the registry for the subject's versions, and waits there.
  proxy.pause();
  await producer.send({ topic: 'orders', acks: -1, messages: [{ value: framed(2) }] });
  await producer.disconnect();
  await waitFor('the cycle to call the registry', () => proxy.held() > 0);

  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: ['orders'] });
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
  await admin.disconnect();
  // Discovery took the old materializer out of the list and is stopping it (held by the cycle).
  await waitFor('discovery to notice the deletion', async () => {
    const status = await fetch(`http://127.0.0.1:${node.httpPort}/admin/tables/orders`);
    return status.status === 404 || ((await status.json()) as { partitions: Array<{ logEndOffset: number }> }).partitions[0]?.logEndOffset === 0;
  });

  const exited = new Promise<number | null>((resolve) => node.child.once('exit', (code) => resolve(code)));
  node.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(node.child.exitCode, null, `the shutdown finished while a materializer was still in a cycle:\n${node.output()}`);
  proxy.resume();
  assert.equal(await exited, 0);
  const shutdownLog = node.output().slice(node.output().indexOf('shutting down'));
  assert.doesNotMatch(shutdownLog, /materializing topic/, 'nothing is started once the shutdown began');
});
