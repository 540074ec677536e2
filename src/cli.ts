#!/usr/bin/env node
/** The `lakegate` command: `serve` runs the gateway, `dump-log` prints a partition's log. */
import { parseArgs } from 'node:util';
import { MetaFileError } from './broker-api/meta-file.js';
import { ConfigError, configHelp, readConfigFile, resolveConfig } from './config.js';
import { DataDirInUseError } from './data-dir-lock.js';
import { logger } from './logger.js';
import { startLakegate } from './server.js';
import { dumpLog } from './tools/dump-log.js';

// fdatasync and file writes run on libuv's threadpool (4 threads by default); with many
// partitions syncing at once that would queue them. libuv reads this on first use.
process.env.UV_THREADPOOL_SIZE ??= '16';

const USAGE = `lakegate: a Kafka-compatible ingest gateway

Usage:
  lakegate serve [options]       run the gateway (Kafka protocol + HTTP)
  lakegate dump-log --data-dir DIR --topic T --partition N [--json]
                                 print a partition's batches and records
  lakegate --help

serve options (flag > environment > config file > default):
  --config FILE                 Java-properties or JSON file with the keys below and
                                broker topic defaults (message.max.bytes, log.segment.bytes,
                                log.roll.ms, log.retention.ms, log.message.timestamp.type, ...)
${configHelp()}
`;

const SERVE_FLAGS = [
  'config',
  'data-dir',
  'host',
  'advertised-host',
  'kafka-port',
  'http-port',
  'node-id',
  'auto-create-topics',
  'num-partitions',
  'socket-request-max-bytes',
  'queued-max-request-bytes',
  'connections-max-idle-ms',
  'fsync',
  'fsync-interval-ms',
  'warehouse-dir',
  'writer-threads',
  'schema-registry-url',
] as const;

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(SERVE_FLAGS.map((f) => [f, { type: 'string' as const }])),
    strict: true,
  });
  const flags = values as Record<string, string>;
  const configFile = flags.config ?? process.env.LAKEGATE_CONFIG;
  const config = resolveConfig(flags, process.env, configFile ? readConfigFile(configFile) : {});
  const node = await startLakegate(config);
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    node.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function dump(argv: string[]): void {
  // `lakegate dump-log ... | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, topic: { type: 'string' }, partition: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const dataDir = values['data-dir'] ?? process.env.LAKEGATE_DATA_DIR ?? './data';
  if (!values.topic) throw new ConfigError('dump-log needs --topic');
  const partition = Number(values.partition ?? '0');
  const lines: string[] = [];
  const flush = () => {
    if (lines.length) process.stdout.write(lines.join('\n') + '\n');
    lines.length = 0;
  };
  dumpLog({
    dataDir,
    topic: values.topic,
    partition,
    json: values.json ?? false,
    out: (line) => {
      lines.push(line);
      if (lines.length >= 1000) flush();
    },
  });
  flush();
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'dump-log':
      return dump(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main().catch((err) => {
  const code = (err as { code?: unknown }).code;
  // Only parseArgs's errors carry a string code of this kind (a KafkaError's code is a number).
  if (err instanceof ConfigError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`lakegate: ${(err as Error).message}\n`);
    process.exit(2);
  }
  // Problems the operator fixes in the data directory: the message says what and how.
  if (err instanceof DataDirInUseError || err instanceof MetaFileError) {
    process.stderr.write(`lakegate: ${err.message}\n`);
    process.exit(1);
  }
  logger.fatal({ err }, 'lakegate failed');
  process.exit(1);
});
