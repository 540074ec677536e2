/**
 * lakegate's process configuration: embedded defaults, overridden by a config file, then by
 * LAKEGATE_* environment variables, then by command-line flags. Broker-level keys use Kafka's
 * own names (server.properties) so an operator's vocabulary carries over.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isObject } from './broker-api/meta-file.js';
import { checkTopicConfig, combinedConfigProblem, TOPIC_CONFIGS } from './broker-api/topic-configs.js';
import { MAX_PARTITIONS_PER_REQUEST } from './broker-api/topic-registry.js';

/**
 * Writer threads all start with the process, each a V8 isolate with its own heap (about 25 MB
 * resident before any work, measured with 1 and 9 threads), and the work is CPU-bound:
 * threads beyond the cores add memory, not throughput. 256 is above the core count of today's
 * largest machines and still refuses a typo (100000) that would try to start that many.
 */
export const MAX_WRITER_THREADS = 256;

export type FsyncPolicy = 'before-ack' | 'interval' | 'os';

export interface LakegateConfig {
  host: string;
  /** Host clients are told to connect to (Metadata); defaults to host. */
  advertisedHost: string;
  kafkaPort: number;
  httpPort: number;
  dataDir: string;
  nodeId: number;
  autoCreateTopics: boolean;
  numPartitions: number;
  /** Largest request frame accepted; larger size prefixes close the connection unread. */
  socketRequestMaxBytes: number;
  /** Bytes of requests buffered or in flight across all connections before reads pause. */
  queuedMaxRequestBytes: number;
  /** A Kafka connection with no traffic for this long is closed; -1: never. */
  connectionsMaxIdleMs: number;
  /** Broker-level defaults for topic configs (Kafka's log.* / message.max.bytes names). */
  brokerTopicDefaults: Record<string, string>;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  /** Where Iceberg tables live; defaults to <dataDir>/warehouse. */
  warehouseDir: string;
  /** Worker threads turning log ranges into Parquet (0: one per core, run at a lower priority). */
  writerThreads: number;
  /**
   * An external Confluent-compatible schema registry (http[s]://host:port); empty: the
   * built-in one, served on the HTTP port.
   */
  schemaRegistryUrl: string;
}

export const DEFAULT_CONFIG: LakegateConfig = {
  host: '127.0.0.1',
  advertisedHost: '',
  kafkaPort: 9092,
  httpPort: 8081,
  dataDir: './data',
  nodeId: 1,
  autoCreateTopics: true,
  numPartitions: 1,
  socketRequestMaxBytes: 100 * 1024 * 1024,
  queuedMaxRequestBytes: 256 * 1024 * 1024,
  // Kafka's default: 10 minutes.
  connectionsMaxIdleMs: 600_000,
  brokerTopicDefaults: {},
  fsync: 'before-ack',
  fsyncIntervalMs: 1000,
  warehouseDir: '',
  writerThreads: 0,
  schemaRegistryUrl: '',
};

/** Settings that can be given by file, environment and flag: [file key, env var, flag]. */
const SETTINGS: Array<{ key: keyof LakegateConfig; file: string; env: string; flag: string; parse: (v: string) => unknown; help: string }> = [
  { key: 'dataDir', file: 'data.dir', env: 'LAKEGATE_DATA_DIR', flag: 'data-dir', parse: String, help: 'where the log and tables live (default ./data)' },
  { key: 'host', file: 'host', env: 'LAKEGATE_HOST', flag: 'host', parse: String, help: 'bind address (default 127.0.0.1)' },
  {
    key: 'advertisedHost',
    file: 'advertised.host',
    env: 'LAKEGATE_ADVERTISED_HOST',
    flag: 'advertised-host',
    parse: String,
    help: 'host clients are told to connect to (default: --host, or 127.0.0.1 when binding 0.0.0.0)',
  },
  { key: 'kafkaPort', file: 'kafka.port', env: 'LAKEGATE_KAFKA_PORT', flag: 'kafka-port', parse: parsePort, help: 'Kafka protocol port (default 9092)' },
  { key: 'httpPort', file: 'http.port', env: 'LAKEGATE_HTTP_PORT', flag: 'http-port', parse: parsePort, help: 'HTTP port for registry, catalog and admin (default 8081)' },
  { key: 'nodeId', file: 'node.id', env: 'LAKEGATE_NODE_ID', flag: 'node-id', parse: parseNodeId, help: 'broker id reported in Metadata (default 1)' },
  {
    key: 'autoCreateTopics',
    file: 'auto.create.topics.enable',
    env: 'LAKEGATE_AUTO_CREATE_TOPICS',
    flag: 'auto-create-topics',
    parse: parseBool,
    help: 'create unknown topics on Metadata requests that allow it (default true)',
  },
  { key: 'numPartitions', file: 'num.partitions', env: 'LAKEGATE_NUM_PARTITIONS', flag: 'num-partitions', parse: parsePartitionCount, help: `partitions of auto-created topics (default 1, at most ${MAX_PARTITIONS_PER_REQUEST})` },
  {
    key: 'socketRequestMaxBytes',
    file: 'socket.request.max.bytes',
    env: 'LAKEGATE_SOCKET_REQUEST_MAX_BYTES',
    flag: 'socket-request-max-bytes',
    parse: parsePositiveInt,
    help: 'largest request accepted (default 104857600)',
  },
  {
    key: 'queuedMaxRequestBytes',
    file: 'queued.max.request.bytes',
    env: 'LAKEGATE_QUEUED_MAX_REQUEST_BYTES',
    flag: 'queued-max-request-bytes',
    parse: parsePositiveInt,
    help: 'request bytes buffered across connections before reading pauses (default 268435456)',
  },
  {
    key: 'connectionsMaxIdleMs',
    file: 'connections.max.idle.ms',
    env: 'LAKEGATE_CONNECTIONS_MAX_IDLE_MS',
    flag: 'connections-max-idle-ms',
    parse: parseIdleTimeout,
    help: 'close Kafka connections with no traffic for this long; -1: never (default 600000)',
  },
  {
    key: 'fsync',
    file: 'log.fsync',
    env: 'LAKEGATE_FSYNC',
    flag: 'fsync',
    parse: parseFsync,
    help: "before-ack (default): acks=1/all answered after fdatasync; interval: answered once written, synced every log.fsync.interval.ms; os: answered once written, synced only at segment roll and shutdown (Kafka's own default behaviour)",
  },
  {
    key: 'fsyncIntervalMs',
    file: 'log.fsync.interval.ms',
    env: 'LAKEGATE_FSYNC_INTERVAL_MS',
    flag: 'fsync-interval-ms',
    parse: parsePositiveInt,
    help: 'background sync period when --fsync interval (default 1000)',
  },
  {
    key: 'warehouseDir',
    file: 'warehouse.dir',
    env: 'LAKEGATE_WAREHOUSE_DIR',
    flag: 'warehouse-dir',
    parse: String,
    help: 'where Iceberg tables are written (default <data-dir>/warehouse)',
  },
  {
    key: 'writerThreads',
    file: 'writer.threads',
    env: 'LAKEGATE_WRITER_THREADS',
    flag: 'writer-threads',
    parse: parseWriterThreads,
    help: `worker threads that write Parquet, niced below the event loop (default: one per core, at most ${MAX_WRITER_THREADS})`,
  },
  {
    key: 'schemaRegistryUrl',
    file: 'schema.registry.url',
    env: 'LAKEGATE_SCHEMA_REGISTRY_URL',
    flag: 'schema-registry-url',
    parse: parseRegistryUrl,
    help: 'an external Confluent-compatible schema registry (http[s]://host:port) instead of the built-in one, which is then not served',
  },
];

/** Broker keys that set a default for a topic config, Kafka style. */
export const BROKER_TOPIC_DEFAULT_KEYS: Record<string, string> = {
  'message.max.bytes': 'max.message.bytes',
  'log.segment.bytes': 'segment.bytes',
  'log.roll.ms': 'segment.ms',
  'log.index.interval.bytes': 'index.interval.bytes',
  'log.retention.ms': 'retention.ms',
  'log.retention.bytes': 'retention.bytes',
  'log.message.timestamp.type': 'message.timestamp.type',
  'log.cleanup.policy': 'cleanup.policy',
  'compression.type': 'compression.type',
  // lakegate's table settings have no broker-level name in Kafka: the topic name is the key.
  'table.format': 'table.format',
  'value.format': 'value.format',
  'value.json.columns': 'value.json.columns',
  'table.partition.by': 'table.partition.by',
  'table.commit.interval.ms': 'table.commit.interval.ms',
  'table.commit.bytes': 'table.commit.bytes',
};

export class ConfigError extends Error {}

function parsePort(v: string): number {
  const n = decimalInteger(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`not a port: ${v}`);
  return n;
}
/** Decimal digits only: Number() alone would also take "0x10", "1e3" and " " (as 0). */
function decimalInteger(v: string): number {
  return /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
}
function parsePositiveInt(v: string): number {
  const n = decimalInteger(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`not a positive integer: ${v}`);
  return n;
}
function parseNonNegativeInt(v: string): number {
  const n = decimalInteger(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`not a non-negative integer: ${v}`);
  return n;
}
/**
 * An auto-created topic gets this many partitions, each a directory and open files reopened
 * at every start; CreateTopics refuses more than MAX_PARTITIONS_PER_REQUEST in one request
 * (as Kafka's controller), and auto-creation is held to the same bound.
 */
function parsePartitionCount(v: string): number {
  const n = parsePositiveInt(v);
  if (n > MAX_PARTITIONS_PER_REQUEST) throw new ConfigError(`at most ${MAX_PARTITIONS_PER_REQUEST} partitions, not ${v}`);
  return n;
}
function parseWriterThreads(v: string): number {
  const n = parseNonNegativeInt(v);
  if (n > MAX_WRITER_THREADS) throw new ConfigError(`at most ${MAX_WRITER_THREADS} writer threads, not ${v}`);
  return n;
}
/** Kafka's node ids are int32, and Metadata encodes them so. */
function parseNodeId(v: string): number {
  const n = parseNonNegativeInt(v);
  if (n > 2147483647) throw new ConfigError(`not a node id (0..2147483647): ${v}`);
  return n;
}
/** A positive number of milliseconds, or -1 for none (as a negative value turns it off in Kafka). */
function parseIdleTimeout(v: string): number {
  const n = decimalInteger(v);
  if (n === -1) return n;
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`connections.max.idle.ms must be a positive number of milliseconds or -1, not ${v}`);
  return n;
}
function parseBool(v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(`not true or false: ${v}`);
}
function parseFsync(v: string): FsyncPolicy {
  if (v === 'before-ack' || v === 'interval' || v === 'os') return v;
  throw new ConfigError(`log.fsync must be before-ack, interval or os, not ${v}`);
}

function parseRegistryUrl(v: string): string {
  if (v === '') return '';
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`schema.registry.url is not a URL: ${v}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`schema.registry.url must be an http or https URL, not ${v}`);
  if (url.search || url.hash) throw new ConfigError(`schema.registry.url must not have a query or fragment: ${v}`);
  return v;
}

/** Java-properties style (key=value, # comments) or JSON, by the file's extension. */
export function readConfigFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the config file ${file}: ${readFailure(err)}`);
  }
  if (path.extname(file) === '.json') return jsonSettings(file, text);
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.search(/[=:]/);
    if (eq < 0) throw new ConfigError(`${file}: expected key=value, got "${line}"`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** The reason a file could not be read, without Node's "ENOENT: ..., open '<file>'" noise. */
function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return (err as Error).message;
}

/** A JSON config file: one object whose values are strings, numbers or booleans. */
function jsonSettings(file: string, text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`the config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new ConfigError(`the config file ${file} must hold one JSON object of settings`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    // String() would turn an object into "[object Object]" and a null into "null".
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new ConfigError(`${key} in the config file ${file}: a string, number or boolean, not ${JSON.stringify(value)}`);
    out[key] = String(value);
  }
  return out;
}

export function resolveConfig(flags: Record<string, string>, env: NodeJS.ProcessEnv, fileValues: Record<string, string> = {}): LakegateConfig {
  const config: LakegateConfig = { ...DEFAULT_CONFIG, brokerTopicDefaults: {} };
  const known = new Set<string>();
  for (const s of SETTINGS) {
    known.add(s.file);
    // An empty variable (a compose file's unset ${VAR}) is not a setting: "" would be port 0
    // or the working directory as data dir.
    const fromEnv = env[s.env] === '' ? undefined : env[s.env];
    const [raw, source] =
      flags[s.flag] !== undefined ? [flags[s.flag], `--${s.flag}`] : fromEnv !== undefined ? [fromEnv, s.env] : [fileValues[s.file], `${s.file} in the config file`];
    if (raw === undefined) continue;
    try {
      (config as unknown as Record<string, unknown>)[s.key] = s.parse(raw);
    } catch (err) {
      throw err instanceof ConfigError ? new ConfigError(`${source}: ${err.message}`) : err;
    }
  }
  for (const [key, value] of Object.entries(fileValues)) {
    if (known.has(key)) continue;
    const topicKey = BROKER_TOPIC_DEFAULT_KEYS[key];
    if (!topicKey) throw new ConfigError(`unknown setting "${key}" in the config file`);
    // Checked as a topic's own value would be: the topics that take this default read it
    // with Number() and the like, and an unchecked "1MB" would turn the limit off.
    const problem = checkTopicConfig(topicKey, value);
    if (problem) throw new ConfigError(`${key} in the config file: ${problem}`);
    config.brokerTopicDefaults[topicKey] = value;
  }
  const combined = combinedConfigProblem((name) => config.brokerTopicDefaults[name] ?? TOPIC_CONFIGS.get(name)!.default);
  if (combined) throw new ConfigError(`the config file's topic defaults: ${combined}`);
  if (config.warehouseDir === '') config.warehouseDir = path.join(config.dataDir, 'warehouse');
  if (config.advertisedHost === '') config.advertisedHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return config;
}

export function configHelp(): string {
  return SETTINGS.map((s) => `  --${s.flag.padEnd(26)} ${s.help}\n  ${''.padEnd(28)} env ${s.env}, file key ${s.file}`).join('\n');
}
