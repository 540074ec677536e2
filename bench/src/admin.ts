// Topic setup through one client for both servers (kafkajs admin: CreateTopics/DeleteTopics).
import { Kafka, logLevel } from 'kafkajs';

function admin(bootstrap: string) {
  return new Kafka({ clientId: 'lakegate-bench', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } }).admin();
}

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const a = admin(bootstrap);
  await a.connect();
  try {
    const created = await a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    if (!created) throw new Error(`topic ${topic} already exists on ${bootstrap}`);
    const meta = await a.fetchTopicMetadata({ topics: [topic] });
    const n = meta.topics[0]?.partitions.length ?? 0;
    if (n !== partitions) throw new Error(`topic ${topic} on ${bootstrap} has ${n} partitions, wanted ${partitions}`);
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
