// Summarizes V8 .cpuprofile files (node --cpu-prof): self time per function and per file.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  functions: { name: string; where: string; selfMs: number; pct: number }[];
  files: { where: string; selfMs: number; pct: number }[];
}

function shortUrl(url: string, root: string): string {
  if (!url) return '';
  try {
    const p = url.startsWith('file:') ? fileURLToPath(url) : url;
    const r = relative(root, p);
    return r.startsWith('..') ? p : r;
  } catch {
    return url;
  }
}

export function summarize(file: string, root: string, top = 25): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000; // a sample's time is the gap to the next one
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const fns = new Map<string, { name: string; where: string; selfMs: number }>();
  const files = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame;
    total += ms;
    if (cf.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const where = cf.url ? `${shortUrl(cf.url, root)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName}|${where}`;
    const f = fns.get(key) ?? { name: cf.functionName || '(anonymous)', where, selfMs: 0 };
    f.selfMs += ms;
    fns.set(key, f);
    const fileKey = cf.url ? shortUrl(cf.url, root) : cf.functionName;
    files.set(fileKey, (files.get(fileKey) ?? 0) + ms);
  }
  const busy = Math.max(1e-9, total - idle);
  return {
    totalMs: total,
    idleMs: idle,
    functions: [...fns.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top).map((f) => ({ ...f, pct: (100 * f.selfMs) / busy })),
    files: [...files.entries()].map(([where, selfMs]) => ({ where, selfMs, pct: (100 * selfMs) / busy })).sort((a, b) => b.selfMs - a.selfMs).slice(0, 15),
  };
}

export function profileMarkdown(title: string, s: ProfileSummary): string {
  const L = [`### ${title}`, '', `${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.idleMs / 1000).toFixed(1)} s idle; percentages are of the busy time.`, ''];
  L.push('| self ms | % busy | function | where |', '|---|---|---|---|');
  for (const f of s.functions) L.push(`| ${f.selfMs.toFixed(0)} | ${f.pct.toFixed(1)} | \`${f.name}\` | ${f.where} |`);
  L.push('', '| self ms | % busy | file (or V8 category) |', '|---|---|---|');
  for (const f of s.files) L.push(`| ${f.selfMs.toFixed(0)} | ${f.pct.toFixed(1)} | ${f.where} |`);
  L.push('');
  return L.join('\n');
}
