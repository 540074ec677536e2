/**
 * Which topics exist, with their stable ids, partition counts and config overrides, and which
 * topics' logs are being deleted. Kept in <data-dir>/meta/topics.json, replaced atomically
 * (write, fsync, rename, fsync dir) so a crash leaves either the old or the new file, never a
 * torn one. The deletions are recorded so that start-up removes only logs a DeleteTopics asked
 * to remove: a log no topic claims for another reason (a lost or older topics.json) is kept.
 *
 * Changes apply in memory at once and reach the file through flush(), which coalesces the
 * changes made together (a CreateTopics of many topics) into one write; nothing a client is
 * told about (a created or deleted topic) may be answered before its flush() resolves.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { CoalescedFileWriter } from './coalesced-file-writer.js';
import { isObject, readMetaFile } from './meta-file.js';

export interface Topic {
  name: string;
  id: Buffer;
  partitions: number;
  configs: Record<string, string>;
  createdAtMs: number;
}

interface StoredTopic {
  name: string;
  id: string;
  partitions: number;
  configs: Record<string, string>;
  createdAtMs: number;
}

interface StoredTopics {
  topics: StoredTopic[];
  deleting?: string[];
}

/** What is wrong with a parsed topics.json, or null: a bad entry would fail later, far from the cause. */
function storedTopicsProblem(v: unknown): string | null {
  if (!isObject(v) || !Array.isArray(v.topics)) return 'expected {"topics": [...], "deleting": [...]}';
  for (const [i, t] of v.topics.entries()) {
    const ok =
      isObject(t) &&
      typeof t.name === 'string' &&
      typeof t.id === 'string' &&
      /^[0-9a-f]{32}$/.test(t.id) &&
      Number.isSafeInteger(t.partitions) &&
      (t.partitions as number) > 0 &&
      isObject(t.configs) &&
      Object.values(t.configs).every((c) => typeof c === 'string') &&
      typeof t.createdAtMs === 'number';
    if (!ok) return `topics[${i}] is not {"name", "id" (32 hex digits), "partitions" (> 0), "configs" (strings), "createdAtMs"}`;
  }
  if (v.deleting !== undefined && !(Array.isArray(v.deleting) && v.deleting.every((n) => typeof n === 'string'))) return '"deleting" is not a list of topic names';
  return null;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;
const MAX_TOPIC_NAME = 249;

/**
 * Kafka's controller refuses a request that would create more partitions than this
 * (POLICY_VIOLATION). Here each partition is a directory and open files, and a topic is
 * reopened at every start, so an unbounded count could exhaust memory or descriptors on every
 * restart; the same cap keeps what Kafka accepts. num.partitions (auto-creation) is held to it.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

/** Kafka's topic name rules; the message is what a Kafka broker says. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME} characters, topic name: ${name}`;
  if (!TOPIC_NAME.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

export class TopicRegistry {
  private readonly topics = new Map<string, Topic>();
  /** Names whose logs a DeleteTopics is removing (or a crash interrupted removing). */
  private readonly deleting = new Set<string>();
  private readonly writer: CoalescedFileWriter;

  constructor(metaDir: string) {
    mkdirSync(metaDir, { recursive: true });
    const file = path.join(metaDir, 'topics.json');
    const stored = readMetaFile<StoredTopics>(file, storedTopicsProblem, 'restore it from a backup');
    for (const t of stored?.topics ?? []) this.topics.set(t.name, { ...t, id: Buffer.from(t.id, 'hex') });
    for (const name of stored?.deleting ?? []) this.deleting.add(name);
    this.writer = new CoalescedFileWriter(file, () => this.serialize());
  }

  /** Topics whose log deletion was recorded and has not been confirmed done. */
  pendingDeletions(): string[] {
    return [...this.deleting];
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  byId(id: Buffer): Topic | undefined {
    for (const t of this.topics.values()) if (t.id.equals(id)) return t;
    return undefined;
  }

  all(): Topic[] {
    return [...this.topics.values()];
  }

  /** Registers a topic; durable once a flush() called after this resolves. */
  add(name: string, partitions: number, configs: Record<string, string>): Topic {
    if (this.topics.has(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const topic: Topic = { name, id: newTopicId(), partitions, configs, createdAtMs: Date.now() };
    this.topics.set(name, topic);
    return topic;
  }

  /**
   * Unregisters a topic and records that its logs are to be deleted: both in one change, so
   * the write that unregisters it records the deletion. Flush before deleting the logs.
   * Returns what undoes both, for when that write fails; it does nothing once a topic of the
   * same name has been added meanwhile.
   */
  remove(name: string): () => void {
    const topic = this.topics.get(name);
    const alreadyDeleting = this.deleting.has(name);
    this.topics.delete(name);
    this.deleting.add(name);
    return () => {
      if (!topic || this.topics.has(name)) return;
      this.topics.set(name, topic);
      if (!alreadyDeleting) this.deleting.delete(name);
    };
  }

  /** The logs of a removed topic are gone. */
  deleted(name: string): void {
    this.deleting.delete(name);
  }

  /** Resolves once every change made before the call is durable in topics.json. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Resolves once no write of topics.json is under way. */
  settled(): Promise<void> {
    return this.writer.settled();
  }

  private serialize(): string {
    const stored: StoredTopic[] = this.all().map((t) => ({ ...t, id: t.id.toString('hex') }));
    return JSON.stringify({ topics: stored, deleting: [...this.deleting] }, null, 2);
  }
}

/** A random v4 UUID; never the all-zero id, which Kafka reserves for "no id". */
function newTopicId(): Buffer {
  const id = randomBytes(16);
  id[6] = (id[6] & 0x0f) | 0x40;
  id[8] = (id[8] & 0x3f) | 0x80;
  return id;
}
