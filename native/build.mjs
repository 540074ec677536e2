// Compiles the native addons into dist/native/. Run by `npm run build` after tsc. An addon that
// cannot be built (no C compiler or Node headers, another CPU, a failed compile) is skipped with
// a warning: lakegate still works without it (each one's loader says how), and the unit tests
// that insist on it fail on purpose. A second run with nothing changed does nothing.
//
//   crc32c.c     CRC-32C of record batches (src/protocol/records/crc32c.ts); x64 only (SSE4.2).
//                Without it: @node-rs/crc32, slower on the produce path.
//   file-lock.c  flock(2) for the data-directory lock (src/file-lock.ts). Without it: the
//                abstract-socket lock alone, which other network namespaces do not see.
//   chunked-sync.c  paced write-back of segments at journal checkpoints (src/log/segment-sync.ts);
//                Linux only. Without it: fdatasync alone, with a longer latency tail under load.
//   direct-write.c  the sync journal's O_DIRECT | O_DSYNC group writes (src/log/journal/direct-write.ts);
//                Linux only. Without it: buffered writes and fdatasync, with more CPU per byte.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const self = fileURLToPath(import.meta.url);

const ADDONS = [
  { source: 'crc32c.c', target: 'crc32c.node', arches: ['x64'], platforms: null, without: '@node-rs/crc32 will be used' },
  { source: 'file-lock.c', target: 'file-lock.node', arches: null, platforms: null, without: 'the data-directory lock will not see other network namespaces' },
  { source: 'chunked-sync.c', target: 'chunked-sync.node', arches: null, platforms: ['linux'], without: 'journal checkpoints will use fdatasync alone' },
  { source: 'direct-write.c', target: 'direct-write.node', arches: null, platforms: ['linux'], without: 'the sync journal will write through the page cache' },
];

/** Included by every addon (errno names, Errors, integer arguments): a change rebuilds them all. */
const SHARED_HEADER = 'napi-errors.h';

function nodeIncludeDir() {
  const candidates = [
    process.env.LAKEGATE_NODE_INCLUDE,
    resolve(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((dir) => dir && existsSync(join(dir, 'node_api.h')));
}

/** Builds one addon; returns a reason when it did not. */
function build(addon, include) {
  const source = join(here, addon.source);
  const target = join(root, 'dist', 'native', addon.target);
  const inputs = [source, self, join(here, SHARED_HEADER)];
  if (existsSync(target) && statSync(target).mtimeMs >= Math.max(...inputs.map((f) => statSync(f).mtimeMs))) return null;
  // Out of date: whatever happens below, the old build must not be loaded.
  rmSync(target, { force: true });
  if (addon.arches && !addon.arches.includes(process.arch)) return `no implementation for ${process.arch}`;
  if (addon.platforms && !addon.platforms.includes(process.platform)) return `no implementation for ${process.platform}`;
  if (!include) return "Node's node_api.h was not found; set LAKEGATE_NODE_INCLUDE to its directory";
  const cc = process.env.CC || 'cc';
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  const r = spawnSync(cc, ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra', `-I${include}`, '-o', partial, source], { encoding: 'utf8' });
  if (r.error) return `${cc}: ${r.error.message}`;
  if (r.status !== 0) {
    // Still a working server, but loudly: the unit tests insist on the addon.
    console.warn(r.stderr);
    return `${cc} failed to compile ${source}`;
  }
  renameSync(partial, target);
  return null;
}

const include = nodeIncludeDir();
for (const addon of ADDONS) {
  const reason = build(addon, include);
  if (reason) console.warn(`lakegate: native ${addon.source} not built (${reason}); ${addon.without}`);
}
