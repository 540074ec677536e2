/**
 * Admin API plugin (registered under `/admin`): liveness, and per topic the state of its
 * table materialization: whether it runs (a topic whose materializer cannot start is listed
 * too, with the error), tables (the dead-letter table among them once it exists),
 * per-partition log end / committed offsets and lag, bad records, dead-letter rows, last
 * commit and last error.
 *
 * The numbers come from an AdminSource, which the materializer implements; this plugin only
 * derives lag and renders. Offsets may be given as bigint (as the log and the table writers
 * hold them) or number; they are rendered as JSON numbers (Kafka offsets stay far below 2^53
 * in practice). Times are epoch milliseconds in, ISO-8601 strings out.
 */
import type { FastifyPluginAsync } from 'fastify';
import { HttpProblem } from './problem.js';

export type Offset = bigint | number;

export interface AdminTableRef {
  format: 'iceberg' | 'delta';
  /** The table's identity for logs and the admin API, e.g. `kafka.orders`. */
  name: string;
  /** Where the table lives (warehouse URI or directory), when known. */
  location?: string;
  /** True for the topic's dead-letter table (records that could not become rows). */
  deadLetter?: boolean;
}

export interface AdminPartitionStatus {
  partition: number;
  /** Next offset the log will assign. */
  logEndOffset: Offset;
  /** First offset still in the log; lag counts from here while nothing is committed. Default 0. */
  logStartOffset?: Offset;
  /**
   * Last offset committed to the topic's tables (the TableFormatWriter convention: the lowest
   * across the topic's tables when there are several), or null when none is committed yet.
   */
  committedOffset: Offset | null;
}

export interface AdminBadRecord {
  partition: number;
  offset: Offset;
  reason: string;
  /** When the record was rejected or dead-lettered, epoch ms. */
  time?: number;
}

export interface AdminError {
  message: string;
  /** Epoch ms. */
  time: number;
}

/**
 * running: the topic's materializer runs (commit errors show in lastError); starting: it is
 * being started; failing: it could not start (lastError says why), and is retried.
 */
export type AdminTableState = 'running' | 'starting' | 'failing';

export interface AdminTableStatus {
  topic: string;
  /** Default running. */
  state?: AdminTableState;
  tables: AdminTableRef[];
  partitions: AdminPartitionStatus[];
  /** Records rejected or dead-lettered since start-up (or over the table's life, if known). */
  badRecordCount: number;
  /** The most recent bad records, newest first; the source bounds the list. */
  recentBadRecords: AdminBadRecord[];
  /** Rows in the topic's dead-letter table (over its life; 0 when it does not exist). Default 0. */
  deadLetterCount?: Offset;
  /** Epoch ms of the last successful table commit, or null. */
  lastCommitTime: number | null;
  /** The last materialization error, or null (cleared or never failed). */
  lastError: AdminError | null;
}

/** What the admin API reads; implemented by the materializer. */
export interface AdminSource {
  tables(): AdminTableStatus[] | Promise<AdminTableStatus[]>;
}

// ---- rendered shapes (the JSON the routes answer with) ------------------------------------

export interface AdminPartitionView {
  partition: number;
  logEndOffset: number;
  committedOffset: number | null;
  /** Records in the log not yet in the tables. */
  lag: number;
}

export interface AdminTableView {
  topic: string;
  state: AdminTableState;
  tables: AdminTableRef[];
  partitions: AdminPartitionView[];
  /** Sum of the partitions' lag. */
  lag: number;
  badRecordCount: number;
  recentBadRecords: Array<{ partition: number; offset: number; reason: string; time?: string }>;
  deadLetterCount: number;
  lastCommitTime: string | null;
  lastError: { message: string; time: string } | null;
}

export interface AdminPluginOptions {
  source: AdminSource;
  /** True once the node is shutting down. */
  stopping?: () => boolean;
  /** Why the log storage cannot take writes, or null. */
  storageFailure?: () => string | null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function partitionLag(p: AdminPartitionStatus): number {
  const end = BigInt(p.logEndOffset);
  const from = p.committedOffset === null ? BigInt(p.logStartOffset ?? 0) : BigInt(p.committedOffset) + 1n;
  return end > from ? Number(end - from) : 0;
}

export function renderTableStatus(s: AdminTableStatus): AdminTableView {
  const partitions = [...s.partitions]
    .sort((a, b) => a.partition - b.partition)
    .map((p) => ({
      partition: p.partition,
      logEndOffset: Number(p.logEndOffset),
      committedOffset: p.committedOffset === null ? null : Number(p.committedOffset),
      lag: partitionLag(p),
    }));
  return {
    topic: s.topic,
    state: s.state ?? 'running',
    tables: s.tables,
    partitions,
    lag: partitions.reduce((sum, p) => sum + p.lag, 0),
    badRecordCount: s.badRecordCount,
    recentBadRecords: s.recentBadRecords.map((b) => ({
      partition: b.partition,
      offset: Number(b.offset),
      reason: b.reason,
      ...(b.time === undefined ? {} : { time: iso(b.time) }),
    })),
    deadLetterCount: Number(s.deadLetterCount ?? 0),
    lastCommitTime: s.lastCommitTime === null ? null : iso(s.lastCommitTime),
    lastError: s.lastError === null ? null : { message: s.lastError.message, time: iso(s.lastError.time) },
  };
}

// ---- JSON schemas --------------------------------------------------------------------------

const tableViewSchema = {
  type: 'object',
  required: ['topic', 'state', 'tables', 'partitions', 'lag', 'badRecordCount', 'recentBadRecords', 'deadLetterCount', 'lastCommitTime', 'lastError'],
  properties: {
    topic: { type: 'string' },
    state: { type: 'string', enum: ['running', 'starting', 'failing'] },
    tables: {
      type: 'array',
      items: {
        type: 'object',
        required: ['format', 'name'],
        properties: {
          format: { type: 'string' },
          name: { type: 'string' },
          location: { type: 'string' },
          deadLetter: { type: 'boolean' },
        },
      },
    },
    partitions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['partition', 'logEndOffset', 'committedOffset', 'lag'],
        properties: {
          partition: { type: 'integer' },
          logEndOffset: { type: 'integer' },
          committedOffset: { type: ['integer', 'null'] },
          lag: { type: 'integer' },
        },
      },
    },
    lag: { type: 'integer' },
    badRecordCount: { type: 'integer' },
    recentBadRecords: {
      type: 'array',
      items: {
        type: 'object',
        required: ['partition', 'offset', 'reason'],
        properties: {
          partition: { type: 'integer' },
          offset: { type: 'integer' },
          reason: { type: 'string' },
          time: { type: 'string' },
        },
      },
    },
    deadLetterCount: { type: 'integer' },
    lastCommitTime: { type: ['string', 'null'] },
    lastError: {
      type: ['object', 'null'],
      required: ['message', 'time'],
      properties: { message: { type: 'string' }, time: { type: 'string' } },
    },
  },
} as const;

const healthSchema = {
  response: {
    200: { type: 'object', required: ['status'], properties: { status: { type: 'string', const: 'ok' } } },
    503: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['stopping', 'failed'] }, reason: { type: 'string' } },
    },
  },
} as const;

const tablesSchema = {
  response: {
    200: { type: 'object', required: ['tables'], properties: { tables: { type: 'array', items: tableViewSchema } } },
  },
} as const;

const tableSchema = {
  params: { type: 'object', required: ['topic'], properties: { topic: { type: 'string', minLength: 1 } } },
  response: { 200: tableViewSchema },
} as const;

// ---- the plugin ----------------------------------------------------------------------------

export const adminPlugin: FastifyPluginAsync<AdminPluginOptions> = async (app, opts) => {
  const { source } = opts;

  // A load balancer or orchestrator probing health stops sending work as soon as the shutdown
  // begins, while the node still drains its Kafka connections and commits its last tables.
  // Failed storage (a full disk, an I/O error) refuses every acknowledged write until a restart
  // recovers it: 'failed', so that a liveness probe restarts the node instead of keeping it.
  app.get('/health', { schema: healthSchema }, async (_request, reply) => {
    if (opts.stopping?.()) return reply.code(503).send({ status: 'stopping' });
    const failure = opts.storageFailure?.() ?? null;
    if (failure !== null) return reply.code(503).send({ status: 'failed', reason: failure });
    return { status: 'ok' };
  });

  app.get('/tables', { schema: tablesSchema }, async () => {
    const all = await source.tables();
    return { tables: [...all].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0)).map(renderTableStatus) };
  });

  app.get<{ Params: { topic: string } }>('/tables/:topic', { schema: tableSchema }, async (request) => {
    const topic = request.params.topic;
    const found = (await source.tables()).find((t) => t.topic === topic);
    if (!found) throw new HttpProblem(404, `unknown topic ${JSON.stringify(topic)} (or it has no tables)`);
    return renderTableStatus(found);
  });
};
