// Topic setup through one client for both servers (kafkajs admin: CreateTopics/DeleteTopics).
import { Kafka, logLevel } from 'kafkajs';

function admin(bootstrap: string) {
  return new Kafka({ clientId: 'lakegate-bench', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } }).admin();
}

function isInvalidConfig(err: unknown): boolean {
  const e = err as { type?: string; errors?: { type?: string }[] };
  return e?.type === 'INVALID_CONFIG' || !!e?.errors?.some((x) => x?.type === 'INVALID_CONFIG');
}

/**
 * Creates a topic and checks its partition count. `configs` that the server refuses as
 * INVALID_CONFIG (a lakegate revision that predates them) are dropped: the result says
 * whether they were applied.
 */
export async function createTopic(bootstrap: string, topic: string, partitions: number, configs: Record<string, string> = {}): Promise<boolean> {
  const a = admin(bootstrap);
  await a.connect();
  try {
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
    const create = (withConfigs: boolean) =>
      a.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: withConfigs ? configEntries : [] }],
        waitForLeaders: true,
      });
    let applied = configEntries.length > 0;
    let created: boolean;
    try {
      created = await create(applied);
    } catch (err) {
      if (!applied || !isInvalidConfig(err)) throw err;
      applied = false;
      created = await create(false);
    }
    if (!created) throw new Error(`topic ${topic} already exists on ${bootstrap}`);
    const meta = await a.fetchTopicMetadata({ topics: [topic] });
    const n = meta.topics[0]?.partitions.length ?? 0;
    if (n !== partitions) throw new Error(`topic ${topic} on ${bootstrap} has ${n} partitions, wanted ${partitions}`);
    return applied;
  } finally {
    await a.disconnect();
  }
}

export async function deleteTopic(bootstrap: string, topic: string): Promise<void> {
  const a = admin(bootstrap);
  await a.connect();
  try {
    await a.deleteTopics({ topics: [topic], timeout: 30_000 });
  } finally {
    await a.disconnect();
  }
}
