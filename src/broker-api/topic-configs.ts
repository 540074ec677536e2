/**
 * The topic configs lakegate accepts, with Kafka's names, types and defaults. Unknown names
 * are refused with INVALID_CONFIG as a Kafka broker does; values are checked by type. Each
 * entry says whether lakegate enforces it yet, so DescribeConfigs never claims behaviour
 * that does not exist (replication settings are accepted because one node satisfies them).
 */
import { ConfigType } from '../protocol/messages/describe-configs.js';

export interface TopicConfigDef {
  name: string;
  type: number;
  default: string;
  allowed?: readonly string[];
  min?: number;
  doc: string;
}

const LONG_MAX = '9223372036854775807';

const defs: TopicConfigDef[] = [
  { name: 'cleanup.policy', type: ConfigType.LIST, default: 'delete', allowed: ['delete', 'compact', 'compact,delete', 'delete,compact'], doc: 'Accepted; compaction is not performed.' },
  { name: 'compression.type', type: ConfigType.STRING, default: 'producer', allowed: ['producer'], doc: 'Batches are stored as the producer compressed them.' },
  { name: 'max.message.bytes', type: ConfigType.INT, default: '1048588', min: 0, doc: 'Largest record batch accepted (MESSAGE_TOO_LARGE above).' },
  { name: 'message.timestamp.type', type: ConfigType.STRING, default: 'CreateTime', allowed: ['CreateTime', 'LogAppendTime'], doc: 'LogAppendTime stamps the broker time on every batch.' },
  { name: 'segment.bytes', type: ConfigType.INT, default: '1073741824', min: 14, doc: 'Segment file size at which the log rolls.' },
  { name: 'segment.ms', type: ConfigType.LONG, default: '604800000', min: 1, doc: 'Segment age at which the log rolls.' },
  { name: 'index.interval.bytes', type: ConfigType.INT, default: '4096', min: 0, doc: 'Bytes between offset index entries.' },
  { name: 'retention.ms', type: ConfigType.LONG, default: '604800000', min: -1, doc: 'Accepted and stored; retention deletion is not performed yet.' },
  { name: 'retention.bytes', type: ConfigType.LONG, default: '-1', min: -1, doc: 'Accepted and stored; retention deletion is not performed yet.' },
  { name: 'min.insync.replicas', type: ConfigType.INT, default: '1', min: 1, doc: 'A single node is the whole ISR.' },
  { name: 'unclean.leader.election.enable', type: ConfigType.BOOLEAN, default: 'false', allowed: ['true', 'false'], doc: 'Meaningless on one node; accepted.' },
  { name: 'flush.messages', type: ConfigType.LONG, default: LONG_MAX, min: 1, doc: 'Accepted; syncing follows the broker-wide log.fsync policy.' },
  { name: 'flush.ms', type: ConfigType.LONG, default: LONG_MAX, min: 0, doc: 'Accepted; syncing follows the broker-wide log.fsync policy.' },
  // lakegate's own: how the topic becomes a table.
  { name: 'table.format', type: ConfigType.STRING, default: 'iceberg', allowed: ['iceberg', 'none'], doc: 'Table format the topic is materialized into (none: log only).' },
  {
    name: 'value.format',
    type: ConfigType.STRING,
    default: 'auto',
    allowed: ['auto', 'raw', 'json', 'avro', 'protobuf', 'jsonschema'],
    doc: 'auto: the format of the latest schema of the subject <topic>-value (avro, protobuf or jsonschema) when the table is created, else raw (an existing table keeps the format it was created with); raw: a binary value column; json: a string column holding the UTF-8 JSON document, plus value.json.columns; avro, protobuf, jsonschema: schema-registry framed values decoded into typed columns.',
  },
  {
    name: 'value.json.columns',
    type: ConfigType.LIST,
    default: '',
    doc: 'Typed columns taken from top-level JSON fields: name:type[,name:type...], type one of boolean, int, long, double, string, timestamptz, date.',
  },
  { name: 'table.partition.by', type: ConfigType.STRING, default: 'hour', doc: 'Table partitioning: none, hour or day of the Kafka timestamp, identity (the Kafka partition) or identity:<column> (a typed value.json.columns column of type int, long, string or date).' },
  { name: 'table.commit.interval.ms', type: ConfigType.LONG, default: '1000', min: 50, doc: 'Longest time between table commits while records arrive.' },
  { name: 'table.commit.bytes', type: ConfigType.LONG, default: '67108864', min: 1024, doc: 'Log bytes that trigger a commit before the interval is up.' },
  {
    name: 'table.iceberg.properties',
    type: ConfigType.LIST,
    default: '',
    doc: 'Iceberg table properties set when the topic table is created: key=value[,key=value...], e.g. commit.manifest.min-count-to-merge=50,history.expire.max-snapshot-age-ms=86400000.',
  },
  // Governance at produce time (the check itself: src/record-validation).
  {
    name: 'validation',
    type: ConfigType.STRING,
    default: 'dlq',
    allowed: ['reject', 'dlq', 'none'],
    doc: 'reject: a batch holding a record whose value is not schema-registry framed with an id registered under <topic>-value, or does not decode with that schema, is refused with INVALID_RECORD naming the records. dlq (the default): every record is acknowledged and logged, and one that cannot become a table row lands in the topic dead-letter table (<table>_dlq) with its reason. none: no check at produce time either; such records still land in the dead-letter table, as nothing may vanish.',
  },
];

export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigDef> = new Map(defs.map((d) => [d.name, d]));

/** Returns why a value is not acceptable, or null when it is. */
export function checkTopicConfig(name: string, value: string | null): string | null {
  const def = TOPIC_CONFIGS.get(name);
  if (!def) return `Unknown topic config name: ${name}`;
  if (value === null) return `Null value not supported for topic configs: ${name}`;
  if (def.allowed && !def.allowed.includes(value)) return `Invalid value ${value} for configuration ${name}: must be one of ${def.allowed.join(', ')}`;
  if (name === 'value.json.columns') return jsonColumnsProblem(value);
  if (name === 'table.iceberg.properties') return tablePropertiesProblem(value);
  if (name === 'table.partition.by' && !PARTITION_BY.test(value)) {
    return `Invalid value ${value} for configuration ${name}: must be one of none, hour, day, identity, identity:<column>`;
  }
  if (def.type === ConfigType.INT || def.type === ConfigType.LONG) {
    if (!/^-?\d+$/.test(value)) return `Invalid value ${value} for configuration ${name}: not a number`;
    const n = BigInt(value);
    if (def.type === ConfigType.INT && (n > 2147483647n || n < -2147483648n)) return `Invalid value ${value} for configuration ${name}: not an int`;
    if (def.min !== undefined && n < BigInt(def.min)) return `Invalid value ${value} for configuration ${name}: Value must be at least ${def.min}`;
  }
  return null;
}

/** table.iceberg.properties as a map; keys and values may not hold ',' or '='. */
export function parseTableProperties(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

function tablePropertiesProblem(value: string): string | null {
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0 || item.slice(0, eq).trim() === '' || item.indexOf('=', eq + 1) >= 0) {
      return `Invalid value ${value} for configuration table.iceberg.properties: ${item.trim()} is not key=value`;
    }
  }
  return null;
}

/** The column of identity:<column> is checked against value.json.columns when the table opens. */
const PARTITION_BY = /^(none|hour|day|identity|identity:[A-Za-z][A-Za-z0-9_]*)$/;
const JSON_COLUMN_TYPES = ['boolean', 'int', 'long', 'double', 'string', 'timestamptz', 'date'];
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Parses value.json.columns; the tables module turns the result into typed columns. */
export function parseJsonColumns(value: string): Array<{ name: string; type: string }> {
  if (value.trim() === '') return [];
  return value.split(',').map((entry) => {
    const [name, type] = entry.split(':').map((s) => s.trim());
    return { name, type };
  });
}

function jsonColumnsProblem(value: string): string | null {
  const seen = new Set<string>();
  for (const { name, type } of parseJsonColumns(value)) {
    if (!name || !COLUMN_NAME.test(name) || name.startsWith('_kafka')) return `Invalid value ${value} for configuration value.json.columns: bad column name "${name ?? ''}"`;
    if (name === 'value') return 'Invalid value for configuration value.json.columns: "value" is the document column';
    if (!JSON_COLUMN_TYPES.includes(type)) return `Invalid value ${value} for configuration value.json.columns: type of ${name} must be one of ${JSON_COLUMN_TYPES.join(', ')}`;
    if (seen.has(name)) return `Invalid value ${value} for configuration value.json.columns: ${name} appears twice`;
    seen.add(name);
  }
  return null;
}

/** Column types identity:<column> accepts: exact values with a stable directory name. */
const IDENTITY_COLUMN_TYPES: ReadonlySet<string> = new Set(['int', 'long', 'string', 'date']);

/**
 * Why a set of configs cannot make a table although each value is valid on its own (checked
 * at CreateTopics, and again when a table opens for topics created before the check).
 * `value(name)` is the effective value: the topic's, else the default.
 */
export function combinedConfigProblem(value: (name: string) => string): string | null {
  const partitionBy = value('table.partition.by');
  if (!partitionBy.startsWith('identity:')) return null;
  const column = partitionBy.slice('identity:'.length);
  const valueFormat = value('value.format');
  const spec = parseJsonColumns(value('value.json.columns')).find((c) => c.name === column);
  if (valueFormat !== 'json' || !spec) return `table.partition.by=${partitionBy} names no column of value.json.columns (value.format=${valueFormat})`;
  if (!IDENTITY_COLUMN_TYPES.has(spec.type)) return `table.partition.by=${partitionBy}: column ${column} is ${spec.type}; identity partitioning needs int, long, string or date`;
  return null;
}
