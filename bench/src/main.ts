// npm run bench [-- --quick | --full] [options]: lakegate against Apache Kafka, same client.
import { parseArgs } from 'node:util';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildCheckout, buildRevision } from './lakegate.js';
import { ensureKafka, javaVersion } from './kafka.js';
import { DEFAULT_CLIENT_WARM_SECONDS, makeTopic, runGroup, sameWorkload, startServers, stopServers, warmAll, type GroupResult, type RunOptions } from './runner.js';
import { runPerf, warmUp } from './perf.js';
import { BASELINE, describe, GROUPS, LAKEGATE_MODES } from './scenarios.js';
import { buildDetails, markdown, methodNotes, TARGETS, type Detail, type ReportMeta } from './report.js';
import { DEFAULT_OPTIONS as MATERIALIZE_FULL, QUICK_OPTIONS as MATERIALIZE_QUICK, measureMaterialization } from './materialize.js';
import { chartSvg } from './chart.js';
import { profileMarkdown, summarize } from './profile.js';
import { RESULTS_DIR, ROOT } from './paths.js';
import { log, median, run } from './util.js';

const HELP = `npm run bench -- [--quick | --full] [options]

  --quick               the four target scenarios (${BASELINE} sync/relaxed, latency at half
                        rate, rss-peak, cpu-s-per-gb): 3 pairs of runs measuring ~8 s each,
                        under 10 minutes
  --full                every scenario (default): 5 pairs of runs measuring ~20 s each
  --pairs N             Kafka/lakegate pairs per scenario (at least 3)
  --seconds S           measured length of a run (records = Kafka's warm-up rate x S, plus
                        the client warm-up's)
  --client-warm-up S    seconds of records each run sends first, not measured: the fresh
                        producer JVM's JIT compiles through its first ~10 s (default ${DEFAULT_CLIENT_WARM_SECONDS})
  --warm-up S           seconds each server is driven at full speed before the first group
                        (default 30; quick: lakegate 10); the servers then serve every group
  --group-warm-up S     the same before a group whose workload differs from the previous (10)
  --only REGEX          only the groups whose id matches (see bench/README.md)
  --kafka-version V     pin Apache Kafka, broker and tools (default: the newest 4.x broker and
                        the newest 4.x kafka-tools, each with its own dependencies)
  --lakegate DIR        the lakegate checkout to run, built (default: this repository)
  --lakegate-rev REV    run a committed revision instead (e.g. HEAD): git archive + tsc into
                        bench/.cache/lakegate-<sha>, untouched by uncommitted work in src/
  --quiet-wait S        before each run wait up to S s for the machine to be < 25% busy
                        (default 5 quick, 60 full; 0 = never wait)
  --out NAME            result files bench/results/NAME.{md,json,svg,runs.json} (default: quick|full)
  --kafka-flush         also run Kafka with flush.messages=1 (fsync on every append, as lakegate
                        sync does before each ack) in the target groups: *-vs-kafka-flush
                        entries beside the ones against Kafka's default; each such run takes
                        minutes, so a quick run with it takes 16-18
  --tables off|on       lakegate's table materialization while ingesting: off (default) creates
                        lakegate's topics with table.format=none, a log like Kafka's; on keeps
                        lakegate's default (every topic written to Iceberg in the background)
  --materialize on|off  lakegate-only table figures after the Kafka comparison (default on):
                        the worker pool draining a JSON backlog into Iceberg (MB/s) and
                        produce -> visible freshness at 10 MB/s of JSON (bench/src/materialize.ts)
  --profile             afterwards, profile lakegate (node --cpu-prof) under ${BASELINE}
                        (a warm-up and one run per lakegate mode, the whole process lifetime)
                        and write bench/results/NAME.profile.md
  --work-dir DIR        where servers keep their data (default: a new directory in the OS tmp dir)
  --keep                keep server data and logs (in --work-dir or the tmp dir)
  --list                print the groups and exit
  --resume              keep the complete groups of an interrupted run of the same NAME
                        (bench/results/NAME.runs.json) and run only the others
  --render NAME         rewrite bench/results/NAME.{md,json,svg} from NAME.runs.json (no runs)
`;

async function gitDescribe(dir: string): Promise<string> {
  const head = await run('git', ['-C', dir, 'rev-parse', '--short', 'HEAD']);
  if (head.code !== 0) return 'not a git checkout';
  const dirty = await run('git', ['-C', dir, 'status', '--porcelain', '--', 'src', 'package.json', 'package-lock.json']);
  return head.stdout.trim() + (dirty.stdout.trim() ? ' + uncommitted changes in src/' : '');
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      pairs: { type: 'string' },
      seconds: { type: 'string' },
      'client-warm-up': { type: 'string' },
      only: { type: 'string' },
      'warm-up': { type: 'string' },
      'group-warm-up': { type: 'string' },
      'kafka-version': { type: 'string' },
      lakegate: { type: 'string' },
      'lakegate-rev': { type: 'string' },
      'quiet-wait': { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'work-dir': { type: 'string' },
      keep: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      render: { type: 'string' },
      resume: { type: 'boolean', default: false },
      tables: { type: 'string', default: 'off' },
      'kafka-flush': { type: 'boolean', default: false },
      materialize: { type: 'string', default: 'on' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (a.help) return void process.stdout.write(HELP);
  if (a.render) return render(a.render);
  if (a.quick && a.full) throw new Error('--quick or --full, not both');
  const quick = a.quick;
  let groups = GROUPS.filter((g) => !quick || g.quick);
  if (a.only) groups = groups.filter((g) => new RegExp(a.only!).test(g.id));
  if (a.list) {
    for (const g of groups) process.stdout.write(`${g.id.padEnd(34)} ${describe(g)} (${g.what})\n`);
    return;
  }
  if (groups.length === 0) throw new Error('no group selected');
  const pairs = Number(a.pairs ?? (quick ? 3 : 5));
  if (!(pairs >= 1)) throw new Error('--pairs must be a positive number');
  if (pairs < 3) log(`warning: ${pairs} pairs; the issue asks for at least 3`);
  const seconds = Number(a.seconds ?? (quick ? 8 : 20));
  const clientWarmSeconds = Number(a['client-warm-up'] ?? DEFAULT_CLIENT_WARM_SECONDS);
  if (!(seconds > 0 && clientWarmSeconds >= 0)) throw new Error('--seconds must be positive and --client-warm-up not negative');
  const name = a.out ?? (quick ? 'quick' : a.only ? 'partial' : 'full');
  if (a.lakegate && a['lakegate-rev']) throw new Error('--lakegate or --lakegate-rev, not both');
  let lakegateRoot = resolve(a.lakegate ?? ROOT);
  let lakegateDesc: string | undefined;
  if (a['lakegate-rev']) {
    const b = await buildRevision(a['lakegate-rev']);
    lakegateRoot = b.root;
    lakegateDesc = `${b.commit.slice(0, 12)} (${a['lakegate-rev']}, built from git archive)`;
  }
  if (!a.lakegate && !a['lakegate-rev']) {
    // the working tree, as it is: build it (npm run build)
    const built = await buildCheckout(ROOT, true);
    if (!built.ok) {
      throw new Error(`npm run build failed in ${ROOT} (uncommitted work in progress? --lakegate-rev HEAD benchmarks the last commit):\n${built.output}`);
    }
  }
  if (!existsSync(join(lakegateRoot, 'dist', 'src', 'cli.js'))) throw new Error(`no build at ${lakegateRoot}/dist/src/cli.js: run npm run build`);

  const t0 = Date.now();
  const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const kafka = await ensureKafka(a['kafka-version']);
  log(`Apache Kafka broker ${kafka.version}, ProducerPerformance from kafka-tools ${kafka.toolsVersion}; lakegate at ${lakegateRoot}`);
  const workDir = a['work-dir'] ? resolve(a['work-dir']) : mkdtempSync(join(tmpdir(), 'lakegate-bench-'));
  mkdirSync(workDir, { recursive: true });
  const quietWaitSeconds = Number(a['quiet-wait'] ?? (quick ? 5 : 60));
  if (a.tables !== 'off' && a.tables !== 'on') throw new Error('--tables off|on');
  const warmSeconds = Number(a['warm-up'] ?? 30);
  // Kafka's warm-up sizes the runs and its JVM needs the half minute; lakegate's V8 is at full
  // rate within 10 s, and each run's client warm-up adds 10 s of full load before measuring
  const lakegateWarmSeconds = a['warm-up'] === undefined && quick ? 10 : warmSeconds;
  const groupWarmSeconds = Number(a['group-warm-up'] ?? 10);
  if (!(warmSeconds >= 6 && groupWarmSeconds >= 6)) throw new Error('warm-ups must be at least 6 s (the rate comes from the last 5 s)');
  const opts: RunOptions = { kafka, workDir, pairs, seconds, clientWarmSeconds, lakegateRoot, quietWaitSeconds, warmSeconds, groupWarmSeconds, tables: a.tables, kafkaFlush: a['kafka-flush'] };

  const lakegate = lakegateDesc ?? (await gitDescribe(lakegateRoot));
  const results: GroupResult[] = [];
  let materialization: Detail[] = [];
  if (a.materialize !== 'on' && a.materialize !== 'off') throw new Error('--materialize on|off');
  if (a.resume) {
    // keep the complete groups of an interrupted run with the same name and settings
    const file = join(RESULTS_DIR, `${name}.runs.json`);
    const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { groups: GroupResult[] }).groups : [];
    for (const r of saved) {
      const perRound = 3 + (opts.kafkaFlush && r.group.quick ? 1 : 0);
      if (groups.some((g) => g.id === r.group.id) && r.runs.length === pairs * perRound) results.push(r);
    }
    groups = groups.filter((g) => !results.some((r) => r.group.id === g.id));
    const base = results.find((r) => r.group.id === BASELINE);
    if (base) opts.kafkaMaxRate = median(base.runs.filter((x) => x.server === 'kafka').map((x) => x.perf.recordsPerSec));
    log(`resuming ${name}: ${results.length} group(s) kept, ${groups.length} to run`);
  }
  const total = results.length + groups.length;
  let t1 = 0;
  /** writes the report of what has run so far (after every group, so a failure keeps them) */
  const save = async (profileMd: string, status: string) => {
    const meta = await makeMeta({
      name,
      quick,
      only: !!a.only,
      kafka: kafka.version,
      kafkaTools: kafka.toolsVersion,
      started,
      minutes: ((t1 || Date.now()) - t0) / 60000,
      pairs,
      seconds,
      clientWarmSeconds,
      warmSeconds,
      lakegateWarmSeconds,
      groupWarmSeconds,
      quietWaitSeconds,
      groups: results,
      lakegate,
      tables: opts.tablesUnsupported
        ? 'none in this revision'
        : opts.tables === 'off'
          ? 'off: lakegate topics created with table.format=none (a log only, as Kafka keeps)'
          : "on: lakegate's default, each topic materialized into Iceberg in the background while ingesting",
      status,
    });
    writeResults(name, results, meta, profileMd, !status, materialization);
  };

  // one Kafka and one lakegate per mode for the whole invocation, warmed up once at length;
  // a group whose workload differs from the previous one gets a short warm-up of its own
  const servers = groups.length ? await startServers(opts, join(workDir, 'servers')) : [];
  try {
    let warmed = groups[0];
    let kafkaWarmRate = warmed ? await warmAll(warmed, opts, servers, warmSeconds, lakegateWarmSeconds) : 0;
    for (const g of groups) {
      if (!sameWorkload(g, warmed)) {
        log(`${g.id}: warm-up for this workload`);
        kafkaWarmRate = await warmAll(g, opts, servers, groupWarmSeconds);
        warmed = g;
      }
      const r = await runGroup(g, opts, servers, kafkaWarmRate);
      results.push(r);
      if (g.id === BASELINE) opts.kafkaMaxRate = median(r.runs.filter((x) => x.server === 'kafka').map((x) => x.perf.recordsPerSec));
      if (results.length < total) await save('', `in progress: ${results.length} of ${total} groups done`);
    }
  } catch (err) {
    if (results.length) {
      await save('', `INCOMPLETE: ${results.length} of ${total} groups done, then: ${(err as Error).message.split('\n')[0]}`);
    }
    throw err;
  } finally {
    await stopServers(servers);
  }

  if (a.materialize === 'on') {
    log('materialization: JSON into Iceberg while ingest runs, the worker pool draining a backlog alone, and freshness at a fixed rate (lakegate only)');
    const m = await measureMaterialization({ ...(quick ? MATERIALIZE_QUICK : MATERIALIZE_FULL), cli: join(lakegateRoot, 'dist', 'src', 'cli.js') });
    materialization = m.details;
  }

  t1 = Date.now();
  let profileMd = '';
  if (a.profile) {
    profileMd = await profile(opts, join(workDir, 'profile'));
    profileMd = `The profile pass took ${((Date.now() - t1) / 60000).toFixed(1)} min after the measured runs (not included above).\n\n${profileMd}`;
  }
  await save(profileMd, '');
  if (!a.keep && !a['work-dir']) rmSync(workDir, { recursive: true, force: true });
}

interface MetaInput {
  name: string;
  quick: boolean;
  only: boolean;
  /** The broker's release */
  kafka: string;
  /** kafka-tools' release (ProducerPerformance) */
  kafkaTools: string;
  started: string;
  /** the measured runs, fetching Kafka included, the profile pass not */
  minutes: number;
  pairs: number;
  seconds: number;
  clientWarmSeconds: number;
  warmSeconds: number;
  lakegateWarmSeconds: number;
  groupWarmSeconds: number;
  quietWaitSeconds: number;
  groups: GroupResult[];
  lakegate: string;
  tables: string;
  /** '' when complete */
  status: string;
}

type Meta = ReportMeta & { kafka: string };

async function makeMeta(m: MetaInput): Promise<Meta> {
  const runs = m.groups.flatMap((g) => g.runs);
  const others = runs.map((r) => r.otherShare * 100);
  const steals = runs.filter((r) => r.stealShare !== undefined).map((r) => r.stealShare! * 100);
  const files = { json: `${m.name}.json`, svg: `${m.name}.svg`, runs: `${m.name}.runs.json` };
  const waited = runs.filter((r) => r.quietWait.busy >= 0.25).length;
  const loadNote = runs.length
    ? `Other work on the machine (CPU time used during a run by anything but the server under test and the producer): ` +
      `median ${median(others).toFixed(0)}%, max ${Math.max(...others).toFixed(0)}% of the machine's CPU` +
      (steals.length ? ` (of which stolen by the hypervisor for other VMs: median ${median(steals).toFixed(0)}%, max ${Math.max(...steals).toFixed(0)}%)` : '') +
      '. ' +
      `Before each run the harness waited up to ${m.quietWaitSeconds} s for the machine to be under 25% busy` +
      (waited ? `; ${waited} of ${runs.length} runs started without that.` : '; every run started on a quiet machine.')
    : '';
  return {
    title: `lakegate vs Apache Kafka: ${m.quick ? 'quick' : m.only ? 'partial' : 'full'} run${m.status ? ` (${m.status})` : ''}`,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    started: m.started,
    minutes: m.minutes,
    env: {
      machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}`,
      'Apache Kafka': `broker ${m.kafka} (kafka_2.13), single-node KRaft; ProducerPerformance from kafka-tools ${m.kafkaTools}; both from Maven Central`,
      Java: await javaVersion(),
      'Node.js': process.version,
      lakegate: m.lakegate,
      'lakegate tables': m.tables,
      'pairs x run length': `${m.pairs} x ${m.clientWarmSeconds} s client warm-up + ~${m.seconds} s measured`,
    },
    settings: methodNotes(m.seconds, m.clientWarmSeconds, m.warmSeconds, m.lakegateWarmSeconds, m.groupWarmSeconds, files.runs, runs.some((r) => r.server === 'kafka-flush')),
    loadNote,
    files,
    kafka: m.kafka,
  };
}

/** Writes bench/results/NAME.{md,json,svg,runs.json} and prints the targets. */
function writeResults(name: string, groups: GroupResult[], meta: Meta, profileMd: string, print = true, materialization: Detail[] = []): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const details = buildDetails(groups, materialization);
  const md = markdown(details, groups, meta) + (profileMd ? `\n## lakegate CPU profile\n\n${profileMd}` : '');
  writeFileSync(join(RESULTS_DIR, `${name}.md`), md);
  writeFileSync(join(RESULTS_DIR, meta.files.json), JSON.stringify(details.map((d) => d.entry), null, 2) + '\n');
  writeFileSync(join(RESULTS_DIR, meta.files.svg), chartSvg(details, `lakegate vs Apache Kafka ${meta.kafka} (${name} run, ${meta.started.slice(0, 10)})`));
  writeFileSync(join(RESULTS_DIR, meta.files.runs), JSON.stringify({ meta, groups, materialization, details }, null, 2) + '\n');
  if (profileMd) writeFileSync(join(RESULTS_DIR, `${name}.profile.md`), profileMd);
  if (!print) return;

  process.stdout.write(`\nlakegate vs Apache Kafka ${meta.kafka} (${meta.minutes.toFixed(1)} min)\n`);
  for (const t of TARGETS) {
    const e = details.find((d) => d.entry.scenario === t.scenario && d.entry.unit === t.unit)?.entry;
    if (!e) continue;
    process.stdout.write(
      `  ${t.scenario.padEnd(34)} lakegate ${String(e.lakegate).padStart(9)} ${e.unit.padEnd(9)} kafka ${String(e.kafka).padStart(9)}  ` +
        `ratio ${e.ratio}  ${t.text}: ${e.lakegate === null ? 'not measured' : t.check(e) ? 'met' : 'NOT met'}\n`,
    );
  }
  process.stdout.write(`results: ${join(RESULTS_DIR, name)}.{md,json,svg,runs.json}\n`);
}

/** --render NAME: rewrites the report files from a saved NAME.runs.json (no servers run). */
function render(name: string): void {
  const saved = JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.runs.json`), 'utf8')) as { meta: Meta; groups: GroupResult[]; materialization?: Detail[] };
  const prof = join(RESULTS_DIR, `${name}.profile.md`);
  writeResults(name, saved.groups, saved.meta, existsSync(prof) ? readFileSync(prof, 'utf8') : '', true, saved.materialization ?? []);
}

/** One profiled run per lakegate mode under the baseline workload; top self-time functions. */
async function profile(o: RunOptions, dir: string): Promise<string> {
  const g = GROUPS.find((x) => x.id === BASELINE)!;
  const out: string[] = [];
  for (const m of LAKEGATE_MODES) {
    const profDir = join(dir, `prof-${m.label}`);
    mkdirSync(profDir, { recursive: true });
    const servers = await startServers({ ...o, cpuProfDir: profDir }, join(dir, m.label), [m], false);
    const lg = servers.find((s) => s.name === m.label)!;
    try {
      await makeTopic(lg, o, 'bench-profile', g.partitions);
      await warmUp(o.kafka, lg.bootstrap, { topic: 'bench-profile', recordSize: g.recordSize, acks: g.acks, compression: g.compression, processes: 1 }, o.warmSeconds);
      const records = Math.round((o.kafkaMaxRate ?? 50_000) * o.seconds);
      const r = await runPerf(o.kafka, lg.bootstrap, { topic: 'bench-profile', records, recordSize: g.recordSize, throughput: -1, acks: g.acks, compression: g.compression, processes: 1 });
      log(`profiled ${m.label}: ${Math.round(r.recordsPerSec)} rec/s`);
    } finally {
      await stopServers(servers);
    }
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      out.push(`### ${m.label}\n\nno .cpuprofile was written (did the server exit cleanly?)\n`);
      continue;
    }
    out.push(profileMarkdown(`lakegate ${m.label} (${m.what}) under ${BASELINE}, whole server lifetime`, summarize(join(profDir, file), o.lakegateRoot)));
  }
  return out.join('\n');
}

main().catch((err) => {
  process.stderr.write(`\nbench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
