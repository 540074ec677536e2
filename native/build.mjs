// Compiles the native addons (today only crc32c.c) into dist/native/. Run by `npm run build`
// after tsc. Without a C compiler or Node's headers, or if the compile fails, it builds nothing
// and says so: lakegate then uses @node-rs/crc32, slower on the produce path but correct
// (src/protocol/records/crc32c.ts), and the unit tests fail on purpose. A second run with
// nothing changed does nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const source = join(here, 'crc32c.c');
const target = join(root, 'dist', 'native', 'crc32c.node');

function nodeIncludeDir() {
  const candidates = [
    process.env.LAKEGATE_NODE_INCLUDE,
    resolve(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((dir) => dir && existsSync(join(dir, 'node_api.h')));
}

function skip(reason) {
  console.warn(`lakegate: native CRC-32C not built (${reason}); @node-rs/crc32 will be used`);
  process.exit(0);
}

if (existsSync(target) && statSync(target).mtimeMs >= Math.max(statSync(source).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs)) {
  process.exit(0);
}
// Out of date: whatever happens below, the old build must not be loaded.
rmSync(target, { force: true });
if (process.arch !== 'x64') skip(`no implementation for ${process.arch}`);
const include = nodeIncludeDir();
if (!include) skip("Node's node_api.h was not found; set LAKEGATE_NODE_INCLUDE to its directory");
const cc = process.env.CC || 'cc';
mkdirSync(dirname(target), { recursive: true });
const partial = `${target}.${process.pid}.tmp`;
const r = spawnSync(cc, ['-O2', '-fPIC', '-shared', '-Wall', '-Wextra', `-I${include}`, '-o', partial, source], { encoding: 'utf8' });
if (r.error) skip(`${cc}: ${r.error.message}`);
if (r.status !== 0) {
  // Still a working server, but loudly: the unit tests insist on the addon.
  console.warn(r.stderr);
  skip(`${cc} failed to compile ${source}`);
}
renameSync(partial, target);
