/** kafkajs against a lakegate on loopback, the way the integration tests drive it. */
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export type KafkaClient = InstanceType<typeof Kafka>;

/** Quiet, and quick to retry: a server restarted by a test is back within a second. */
export function kafkaClient(port: number, retries = 5): KafkaClient {
  return new Kafka({
    clientId: 'lakegate-test',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 50, maxRetryTime: 500 },
    connectionTimeout: 1000,
  });
}

/** CreateTopics through the admin API; rejects with kafkajs's error when the broker refuses. */
export async function createTopic(kafka: KafkaClient, topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
  } finally {
    await admin.disconnect();
  }
}
