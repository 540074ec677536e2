// lakegate under test: the built server (through bin/lakegate) with a fresh data dir.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, log, run, spawnLogged, type Spawned } from './util.js';
import { CACHE_DIR, ROOT } from './paths.js';

export type Fsync = 'before-ack' | 'interval' | 'os';

export interface LakegateServer {
  proc: Spawned;
  bootstrap: string;
  dir: string;
}

export interface LakegateOptions {
  /** the lakegate checkout to run (built: dist/src/cli.js) */
  root: string;
  fsync: Fsync;
  /** write a V8 CPU profile (node --cpu-prof) into this directory when the server exits */
  cpuProfDir?: string;
}

export async function startLakegate(dir: string, logFile: string, o: LakegateOptions): Promise<LakegateServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const httpPort = await freePort();
  const serveArgs = [
    'serve',
    '--host', '127.0.0.1',
    '--kafka-port', String(port),
    '--http-port', String(httpPort),
    '--data-dir', join(dir, 'data'),
    '--fsync', o.fsync,
  ];
  const profile = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const command = serverCommand(o.root, serveArgs, profile);
  const proc = spawnLogged(command.cmd, command.args, logFile, { cwd: dir, env: command.env });
  const line = await proc.waitFor(/lakegate ready kafka=/, 60_000);
  const bound = /kafka=([\d.]+:\d+)/.exec(line)?.[1] ?? `127.0.0.1:${port}`;
  return { proc, bootstrap: bound, dir };
}

/**
 * How to start a checkout's server the way users do: bin/lakegate (node under the server's V8
 * settings), extra node flags in LAKEGATE_NODE_FLAGS (the launchers of 4fcce87 to d1f71a3 do
 * not read it; those revisions were given the flags in NODE_OPTIONS, which refuses --cpu-prof,
 * so --profile failed). Revisions from before the launcher run their dist/src/cli.js with the
 * flags on node's command line.
 */
export function serverCommand(root: string, serveArgs: string[], nodeFlags: string[] = []): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const launcher = join(root, 'bin', 'lakegate');
  if (!existsSync(launcher)) return { cmd: process.execPath, args: [...nodeFlags, join(root, 'dist', 'src', 'cli.js'), ...serveArgs], env: process.env };
  // NODE_OPTIONS refuses --cpu-prof; the launcher puts LAKEGATE_NODE_FLAGS on node's command line.
  return { cmd: launcher, args: serveArgs, env: { ...process.env, LAKEGATE_NODE_FLAGS: nodeFlags.join(' ') } };
}

/**
 * Builds a committed revision of lakegate into bench/.cache/lakegate-<sha> (git archive + tsc,
 * node_modules linked from this checkout), so a run measures that commit and not whatever is
 * half-edited in the working tree. Returns the directory and the full commit id.
 */
export async function buildRevision(rev: string): Promise<{ root: string; commit: string }> {
  const r = await run('git', ['-C', ROOT, 'rev-parse', '--verify', `${rev}^{commit}`]);
  const commit = r.stdout.trim();
  if (r.code !== 0 || !/^[0-9a-f]{40}$/.test(commit)) throw new Error(`unknown revision ${rev}`);
  const dir = join(CACHE_DIR, `lakegate-${commit.slice(0, 12)}`);
  if (existsSync(join(dir, '.built'))) return { root: dir, commit };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`building lakegate ${commit.slice(0, 12)} in ${dir}`);
  const x = await run('bash', ['-c', `git -C "${ROOT}" archive ${commit} | tar -x -C "${dir}"`]);
  if (x.code !== 0) throw new Error(`git archive failed: ${x.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const built = await buildCheckout(dir);
  if (!built.ok) throw new Error(`build of ${commit} failed:\n${built.output}`);
  writeFileSync(join(dir, '.built'), `${commit}\n`);
  return { root: dir, commit };
}

/**
 * What `npm run build` does, in `dir`: tsc, then the native addons where the checkout has
 * them (native/build.mjs; revisions from before it existed have none). `ok` is false when no
 * server was built, or (strict) tsc reported type errors; otherwise those are only reported.
 */
export async function buildCheckout(dir: string, strict = false): Promise<{ ok: boolean; output: string }> {
  const tsc = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { timeoutMs: 600_000 });
  if (!existsSync(join(dir, 'dist', 'src', 'cli.js')) || (strict && tsc.code !== 0)) return { ok: false, output: tsc.stdout.slice(-3000) };
  if (tsc.code !== 0) log(`warning: tsc reported errors building ${dir} (output was still emitted)`);
  if (existsSync(join(dir, 'native', 'build.mjs'))) {
    const native = await run(process.execPath, [join(dir, 'native', 'build.mjs')], { timeoutMs: 120_000 });
    if (native.stderr.trim()) log(native.stderr.trim());
    if (native.code !== 0) return { ok: false, output: native.stderr };
  }
  return { ok: true, output: '' };
}
