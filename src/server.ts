/**
 * Starts and stops one lakegate node: the broker state and its Kafka listener, the worker
 * pool and materializer that turn topics into tables, and the HTTP surface (Iceberg REST
 * catalog, admin). Stopping runs in reverse: no new requests, then the last table commits,
 * then the logs close cleanly.
 */
import path from 'node:path';
import { materializerAdminSource } from './admin-status.js';
import { Broker } from './broker-api/broker.js';
import { DataDirLock } from './data-dir-lock.js';
import { KafkaServer } from './broker-api/server.js';
import type { LakegateConfig } from './config.js';
import { buildHttpApp, startHttp } from './http/app.js';
import { directWriteBackend } from './log/journal/direct-write.js';
import { segmentSyncBackend } from './log/segment-sync.js';
import { logger } from './logger.js';
import { crc32cBackend } from './protocol/records/crc32c.js';
import { ValidationPool } from './record-validation/validation-pool.js';
import { LogJournal } from './schema-registry/log-journal.js';
import { SchemaRegistry } from './schema-registry/registry.js';
import { RemoteSchemaStore } from './schema-registry/remote-store.js';
import type { SchemaStore } from './schema-registry/store.js';
import { icebergDeadLetterTables, IcebergTableWriter, LocalIcebergCatalog } from './tables/iceberg/index.js';
import { Materializer, type OpenTable } from './tables/materializer.js';
import { WriterPool } from './writer/pool.js';

export interface RunningLakegate {
  broker: Broker;
  materializer: Materializer;
  kafkaPort: number;
  httpPort: number;
  close(): Promise<void>;
}

export async function startLakegate(config: LakegateConfig): Promise<RunningLakegate> {
  // Before anything reads or writes them (see data-dir-lock.ts), and held until the logs close.
  const locks = await lockDirectories(config);
  try {
    return await start(config, locks);
  } catch (err) {
    for (const lock of locks) lock.release();
    throw err;
  }
}

/** The data directory, and the warehouse when it lies outside it. */
async function lockDirectories(config: LakegateConfig): Promise<DataDirLock[]> {
  const locks = [await DataDirLock.acquire(config.dataDir)];
  const inside = path.relative(path.resolve(config.dataDir), path.resolve(config.warehouseDir));
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    try {
      locks.push(await DataDirLock.acquire(config.warehouseDir));
    } catch (err) {
      locks[0]!.release();
      throw err;
    }
  }
  return locks;
}

async function start(config: LakegateConfig, locks: DataDirLock[]): Promise<RunningLakegate> {
  const broker = await Broker.open(config);
  const catalog = await LocalIcebergCatalog.open(config.warehouseDir);
  const pool = new WriterPool({
    size: config.writerThreads > 0 ? config.writerThreads : undefined,
    onWorkerError: (err) => logger.error({ err }, 'writer worker died'),
  });
  const openIceberg: OpenTable = ({ namespace, name, topic, settings, schema, properties }) =>
    IcebergTableWriter.open({ catalog, namespace, table: name, topic: topic.topic.name, schema, partitionBy: settings.partitionBy, properties });
  // Before the materializer: Avro topics' tables take their columns from it. With an
  // external registry, the built-in one is neither opened (no _schemas topic) nor served.
  const schemaRegistry = config.schemaRegistryUrl ? undefined : await SchemaRegistry.open(new LogJournal(broker));
  const schemaStore: SchemaStore = schemaRegistry ?? (await openRemoteStore(config.schemaRegistryUrl));
  const materializer = new Materializer(broker, pool, openIceberg, path.join(config.dataDir, 'meta'), schemaStore, icebergDeadLetterTables(catalog));
  await materializer.start();

  // Its worker threads start only when a validation=reject topic receives a batch.
  const validationPool = new ValidationPool(schemaStore);
  broker.recordValidator = validationPool;
  const http = buildHttpApp({ catalog, admin: materializerAdminSource(materializer), schemaRegistry, stopping: () => broker.shutdownSignal.aborted, storageFailure: () => broker.logs.storageFailure() });
  const httpPort = await startHttp(http, config.host, config.httpPort);
  const kafka = new KafkaServer(broker);
  const kafkaPort = await kafka.listen(config.host, config.kafkaPort);
  broker.advertisedPort = kafkaPort;
  for (const lock of locks) {
    if (lock.flockMissing !== null) {
      logger.warn({ dir: lock.dir, reason: lock.flockMissing, lock: lock.kind }, 'data directory locked without flock: a lakegate in another network namespace (a container sharing the volume) would not see the lock');
    }
  }
  if (crc32cBackend.fallbackReason !== null) {
    logger.warn({ reason: crc32cBackend.fallbackReason }, 'native CRC-32C not loaded (run npm run build with a C compiler); using @node-rs/crc32, slower on the produce path');
  }
  if (config.fsync === 'before-ack' && segmentSyncBackend.fallbackReason !== null) {
    logger.warn({ reason: segmentSyncBackend.fallbackReason }, 'native chunked write-back not loaded (run npm run build with a C compiler, on Linux); journal checkpoints use fdatasync alone, with a longer latency tail');
  }
  if (broker.logs.journalWrite === 'buffered') {
    logger.warn({ reason: directWriteBackend.reason ?? 'the filesystem refused O_DIRECT' }, 'sync journal writes through the page cache (buffered write + fdatasync): more CPU per byte than direct writes');
  }
  logger.info(
    {
      kafka: `${config.host}:${kafkaPort}`,
      http: `${config.host}:${httpPort}`,
      advertised: `${config.advertisedHost}:${kafkaPort}`,
      dataDir: config.dataDir,
      warehouseDir: config.warehouseDir,
      fsync: config.fsync,
      writerThreads: pool.size,
      schemaRegistry: schemaRegistry ? 'built-in' : (schemaStore as RemoteSchemaStore).url,
      crc32c: crc32cBackend.name,
      checkpointSync: segmentSyncBackend.name,
      journalWrite: broker.logs.journalWrite,
      dataDirLock: locks[0]!.kind,
      // bin/lakegate's V8 settings, or none when dist/src/cli.js was run by plain `node`.
      nodeFlags: process.execArgv.join(' '),
    },
    `lakegate ready kafka=${config.host}:${kafkaPort} http=${config.host}:${httpPort}`,
  );
  let closing: Promise<void> | null = null;
  return {
    broker,
    materializer,
    kafkaPort,
    httpPort,
    close() {
      closing ??= (async () => {
        try {
          // Health answers 503 and long polls end; then in-flight requests are answered.
          broker.beginShutdown();
          await kafka.close();
          await materializer.stop();
          await http.close();
          await pool.close();
          await validationPool.close();
        } finally {
          // The logs close cleanly even if a step before failed; the lock goes last.
          await broker.close();
          for (const lock of locks) lock.release();
        }
      })();
      return closing;
    },
  };
}

/**
 * The external registry's store. Asked once for its subjects so a wrong URL shows in the log
 * at start; lakegate starts either way (the registry may come up later: topics that need it
 * are retried).
 */
async function openRemoteStore(url: string): Promise<RemoteSchemaStore> {
  const store = new RemoteSchemaStore(url);
  try {
    await store.probe();
    logger.info({ url: store.url }, 'using an external schema registry');
  } catch (err) {
    logger.warn({ url: store.url, err }, 'the external schema registry does not answer yet; topics that need it wait for it');
  }
  return store;
}
