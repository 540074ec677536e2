/** Starts and stops one lakegate node: the broker state and its Kafka listener. */
import { Broker } from './broker-api/broker.js';
import { KafkaServer } from './broker-api/server.js';
import type { LakegateConfig } from './config.js';
import { logger } from './logger.js';

export interface RunningLakegate {
  broker: Broker;
  kafkaPort: number;
  close(): Promise<void>;
}

export async function startLakegate(config: LakegateConfig): Promise<RunningLakegate> {
  const broker = await Broker.open(config);
  const kafka = new KafkaServer(broker);
  const kafkaPort = await kafka.listen(config.host, config.kafkaPort);
  broker.advertisedPort = kafkaPort;
  logger.info(
    { kafka: `${config.host}:${kafkaPort}`, advertised: `${config.advertisedHost}:${kafkaPort}`, dataDir: config.dataDir, fsync: config.fsync },
    `lakegate ready kafka=${config.host}:${kafkaPort}`,
  );
  let closing: Promise<void> | null = null;
  return {
    broker,
    kafkaPort,
    close() {
      closing ??= (async () => {
        await kafka.close();
        await broker.close();
      })();
      return closing;
    },
  };
}
