// Apache Kafka for the comparison: jars from Maven Central (bench/kafka/pom.xml) cached under
// bench/.cache/kafka-broker-<version>/libs and kafka-tools-<version>/libs, and a single-node
// KRaft broker+controller on loopback started the way Kafka's own scripts start it (same heap,
// same G1 flags, stock server.properties).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, log, run, spawnLogged, type Spawned } from './util.js';
import { BENCH_DIR, CACHE_DIR } from './paths.js';

const POM_DIR = join(BENCH_DIR, 'kafka');

/** kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS. */
export const JVM_PERFORMANCE_OPTS = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];
/** kafka-server-start.sh's KAFKA_HEAP_OPTS. */
export const BROKER_HEAP = ['-Xmx1G', '-Xms1G'];
/** kafka-producer-perf-test.sh's KAFKA_HEAP_OPTS. */
export const PERF_HEAP = ['-Xmx512M'];

export interface KafkaDist {
  /** The broker's release (kafka_2.13): the newest 4.x unless pinned. */
  version: string;
  /** kafka-tools' release (ProducerPerformance, TopicCommand): the newest 4.x published, which can trail the broker's. */
  toolsVersion: string;
  brokerClasspath: string;
  toolsClasspath: string;
  /** ProducerPerformance has --warmup-records (steady-state statistics, KIP-1052) */
  warmupRecords: boolean;
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

type Component = 'broker' | 'tools';

function libsDirOf(component: Component, version: string): string {
  return join(CACHE_DIR, `kafka-${component}-${version}`, 'libs');
}

function cachedVersions(component: Component): string[] {
  if (!existsSync(CACHE_DIR)) return [];
  return readdirSync(CACHE_DIR)
    .map((d) => new RegExp(`^kafka-${component}-(4\\.\\d+\\.\\d+)$`).exec(d)?.[1])
    .filter((v): v is string => !!v && existsSync(join(libsDirOf(component, v), '.complete')))
    .sort(cmpVersion);
}

/**
 * The newest 4.x releases of the broker (kafka_2.13) and of the tools (kafka-tools), asked of
 * Maven with the versions plugin (the pom's 4.0.0 is the floor). They can differ: a release's
 * artifacts do not all reach Maven Central at once.
 */
async function newestKafka4(): Promise<Record<Component, string>> {
  const r = await run(
    'mvn',
    ['-B', '-U', '-P', 'broker,tools', '-f', join(POM_DIR, 'pom.xml'), 'org.codehaus.mojo:versions-maven-plugin:2.18.0:display-dependency-updates', '-DallowMajorUpdates=false'],
    { timeoutMs: 300_000 },
  );
  if (r.code !== 0) throw new Error(`mvn version check failed:\n${r.stdout.slice(-2000)}`);
  const newest = (artifact: string) =>
    new RegExp(`org\\.apache\\.kafka:${artifact} \\.+ \\S+ -> (4\\.\\d+\\.\\d+)\\b`).exec(r.stdout)?.[1] ?? '4.0.0';
  return { broker: newest('kafka_2\\.13'), tools: newest('kafka-tools') };
}

/** One component's jars at one version, fetched into the cache once. */
async function fetchComponent(component: Component, version: string): Promise<string> {
  const libsDir = libsDirOf(component, version);
  if (!existsSync(join(libsDir, '.complete'))) {
    log(`fetching Apache Kafka ${component} ${version} jars into ${libsDir}`);
    mkdirSync(libsDir, { recursive: true });
    const r = await run(
      'mvn',
      ['-B', '-P', component, '-f', join(POM_DIR, 'pom.xml'), `-Dkafka.version=${version}`, `-Dlibs.dir=${libsDir}`, 'dependency:copy-dependencies'],
      { timeoutMs: 900_000 },
    );
    if (r.code !== 0) {
      throw new Error(`cannot resolve Kafka ${component} ${version} from Maven (pin another with --kafka-version):\n${r.stdout.slice(-3000)}`);
    }
    writeFileSync(join(libsDir, '.complete'), `${new Date().toISOString()}\n`);
  }
  return readdirSync(libsDir)
    .filter((f) => f.endsWith('.jar'))
    .map((j) => join(libsDir, j))
    .join(':');
}

/**
 * Resolves (once) and returns the Kafka jars: the newest 4.x broker and the newest 4.x tools,
 * each with its own dependencies (two JVMs, two classpaths), or both at `wanted`.
 */
export async function ensureKafka(wanted?: string): Promise<KafkaDist> {
  let versions: Record<Component, string>;
  if (wanted) versions = { broker: wanted, tools: wanted };
  else {
    try {
      versions = await newestKafka4();
    } catch (err) {
      const broker = cachedVersions('broker').pop();
      const tools = cachedVersions('tools').pop();
      if (!broker || !tools) throw err;
      log(`cannot ask Maven for the newest Kafka (${(err as Error).message.split('\n')[0]}); using cached broker ${broker}, tools ${tools}`);
      versions = { broker, tools };
    }
  }
  if (versions.broker !== versions.tools) log(`newest kafka_2.13 (the broker) is ${versions.broker}, newest kafka-tools is ${versions.tools}: each runs its own`);
  const d: KafkaDist = {
    version: versions.broker,
    toolsVersion: versions.tools,
    brokerClasspath: await fetchComponent('broker', versions.broker),
    toolsClasspath: await fetchComponent('tools', versions.tools),
    warmupRecords: false,
  };
  const help = await run('java', [...toolJvmArgs(d, PERF_HEAP), 'org.apache.kafka.tools.ProducerPerformance', '--help'], { timeoutMs: 60_000 });
  d.warmupRecords = (help.stdout + help.stderr).includes('--warmup-records');
  return d;
}

export async function javaVersion(): Promise<string> {
  const r = await run('java', ['-version']);
  return (/version "([^"]+)"/.exec(r.stderr)?.[1] ?? 'unknown').trim();
}

/**
 * Java tool arguments as kafka-run-class.sh builds them: kafka-tools' classpath
 * (ProducerPerformance, TopicCommand), or the broker's for its own tools (StorageTool).
 */
export function toolJvmArgs(k: KafkaDist, heap: string[], classpath: string = k.toolsClasspath): string[] {
  return [...heap, ...JVM_PERFORMANCE_OPTS, `-Dlog4j2.configurationFile=${join(POM_DIR, 'log4j2-tools.properties')}`, '-cp', classpath];
}

/** A Kafka topic id / cluster id: 16 random bytes, base64url, never starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface KafkaServer {
  proc: Spawned;
  bootstrap: string;
  dir: string;
}

/** Formats a fresh log dir and starts a combined broker+controller; resolves once it serves. */
export async function startKafka(k: KafkaDist, dir: string, logFile: string): Promise<KafkaServer> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const port = await freePort();
  const cport = await freePort();
  // Kafka 4.x config/server.properties, with ports and log.dirs filled in.
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${cport}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}`,
    'inter.broker.listener.name=PLAINTEXT',
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    'num.network.threads=3',
    'num.io.threads=8',
    'socket.send.buffer.bytes=102400',
    'socket.receive.buffer.bytes=102400',
    'socket.request.max.bytes=104857600',
    `log.dirs=${join(dir, 'data')}`,
    'num.partitions=1',
    'num.recovery.threads.per.data.dir=1',
    'offsets.topic.replication.factor=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'log.retention.hours=168',
    'log.segment.bytes=1073741824',
    'log.retention.check.interval.ms=300000',
    // Not stock (60000): the harness deletes each run's topic and waits for its files to be
    // gone before the next run starts, so that no server's clean-up overlaps another's measured
    // run. A delayed delete of a run's gigabytes landing in a later run kept the disk busy (this
    // machine's ext4 discards freed blocks online) and stalled that run's fdatasyncs.
    'log.segment.delete.delay.ms=500',
  ];
  const propsFile = join(dir, 'server.properties');
  writeFileSync(propsFile, props.join('\n') + '\n');
  const cp = ['-cp', k.brokerClasspath];
  const log4j = `-Dlog4j2.configurationFile=${join(POM_DIR, 'log4j2-server.properties')}`;
  const fmt = await run(
    'java',
    [...toolJvmArgs(k, ['-Xmx256M'], k.brokerClasspath), 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId(), '-c', propsFile],
    { timeoutMs: 120_000 },
  );
  if (fmt.code !== 0) throw new Error(`kafka storage format failed:\n${fmt.stdout}\n${fmt.stderr}`);
  const proc = spawnLogged(
    'java',
    [
      ...BROKER_HEAP,
      ...JVM_PERFORMANCE_OPTS,
      `-Xlog:gc*:file=${join(dir, 'logs', 'kafkaServer-gc.log')}:time,tags:filecount=10,filesize=100M`,
      `-Dkafka.logs.dir=${join(dir, 'logs')}`,
      log4j,
      ...cp,
      'kafka.Kafka',
      propsFile,
    ],
    logFile,
  );
  await proc.waitFor(/Kafka Server started/, 120_000);
  return { proc, bootstrap: `127.0.0.1:${port}`, dir };
}
