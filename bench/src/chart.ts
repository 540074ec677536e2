// A dependency-free SVG chart: horizontal bars, Kafka beside lakegate (sync and relaxed).
import type { Detail } from './report.js';
import { GROUPS } from './scenarios.js';

const SERIES = [
  { key: 'kafka', label: 'Apache Kafka', color: '#8c8c8c' },
  { key: 'sync', label: 'lakegate, synced before ack (default)', color: '#1f77b4' },
  { key: 'relaxed', label: 'lakegate, relaxed syncing', color: '#7fbfff' },
] as const;

interface Row {
  label: string;
  values: (number | null)[]; // in SERIES order
  ratios: (number | null)[]; // lakegate / Kafka (median of pairs), printed beside the lakegate bars
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : String(Number(x.toFixed(x >= 10 ? 1 : 2))));

const W = 860;
const LABEL_W = 250;
const BAR_W = 440;
const BAR_H = 11;

function panel(title: string, unit: string, rows: Row[], y0: number, log = false): { svg: string; height: number } {
  const out: string[] = [];
  const max = Math.max(1e-9, ...rows.flatMap((r) => r.values.filter((v): v is number => v !== null)));
  // log scale: a bar starts at 0.5 (of the unit) so that 1 still shows
  const LOG_MIN = 0.5;
  const scale = (v: number) =>
    log ? Math.log10(Math.max(v, LOG_MIN) / LOG_MIN) / Math.log10(Math.max(max, LOG_MIN * 10) / LOG_MIN) : v / max;
  out.push(`<text x="10" y="${y0 + 16}" class="h">${esc(title)} (${esc(unit)}${log ? ', log scale' : ''})</text>`);
  let y = y0 + 30;
  for (const r of rows) {
    out.push(`<text x="${LABEL_W - 8}" y="${y + (BAR_H * SERIES.length) / 2 + 4}" class="l" text-anchor="end">${esc(r.label)}</text>`);
    r.values.forEach((v, i) => {
      const by = y + i * BAR_H;
      if (v === null) {
        out.push(`<text x="${LABEL_W + 4}" y="${by + BAR_H - 2}" class="v">not run</text>`);
        return;
      }
      const w = Math.max(1, scale(v) * BAR_W);
      out.push(`<rect x="${LABEL_W}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H - 1}" fill="${SERIES[i].color}"/>`);
      const ratio = r.ratios[i];
      const rtext = ratio === null || ratio === undefined ? '' : `  (${ratio.toFixed(2)}x Kafka)`;
      out.push(`<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${by + BAR_H - 2}" class="v">${num(v)}${rtext}</text>`);
    });
    y += BAR_H * SERIES.length + 8;
  }
  return { svg: out.join('\n'), height: y - y0 + 6 };
}

export function chartSvg(details: Detail[], title: string): string {
  const find = (scenario: string, unit: string) => details.find((d) => d.entry.scenario === scenario && d.entry.unit === unit)?.entry;
  const row = (label: string, sync: string, relaxed: string, unit: string): Row => {
    const s = find(sync, unit);
    const r = find(relaxed, unit);
    return { label, values: [s?.kafka ?? r?.kafka ?? null, s?.lakegate ?? null, r?.lakegate ?? null], ratios: [null, s?.ratio ?? null, r?.ratio ?? null] };
  };
  const panels: { title: string; unit: string; rows: Row[]; log?: boolean }[] = [];
  const tput = GROUPS.filter((g) => g.kind === 'throughput')
    .map((g) => row(g.id.replace(/^throughput-/, ''), `${g.id}-sync`, `${g.id}-relaxed`, 'MB/s'))
    .filter((r) => r.values.some((v) => v !== null));
  if (tput.length) panels.push({ title: 'Throughput, max rate (median of runs)', unit: 'MB/s, higher is better', rows: tput });
  const lat = ['p50', 'p99', 'p99.9']
    .map((p) => row(`${p} at half Kafka's max rate`, `latency-${p}-half-rate`, `latency-${p}-half-rate-relaxed`, 'ms'))
    .filter((r) => r.values.some((v) => v !== null));
  if (lat.length) panels.push({ title: 'Latency, 1 KiB, 8 partitions, acks=all', unit: 'ms, lower is better', rows: lat, log: true });
  const perGroup = (unit: string, metricOf: (id: string) => [string, string]) =>
    GROUPS.filter((g) => g.kind === 'throughput')
      .map((g) => row(g.id.replace(/^throughput-/, ''), ...metricOf(g.id), unit))
      .filter((r) => r.values.some((v) => v !== null));
  const cpuRows = perGroup('s/GB', (id) => [`${id}-sync`, `${id}-relaxed`]);
  if (cpuRows.length) panels.push({ title: 'Server CPU per GB ingested', unit: 's/GB, lower is better', rows: cpuRows });
  const rssRows = perGroup('MB', (id) => [`${id}-sync`, `${id}-relaxed`]);
  if (rssRows.length) panels.push({ title: 'Server peak RSS', unit: 'MB, lower is better', rows: rssRows });

  const body: string[] = [];
  let y = 34;
  SERIES.forEach((s, i) => {
    const x = 10 + i * 250;
    body.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${s.color}"/><text x="${x + 18}" y="${y + 10}" class="l">${esc(s.label)}</text>`);
  });
  y += 22;
  for (const p of panels) {
    const { svg, height } = panel(p.title, p.unit, p.rows, y, p.log);
    body.push(svg);
    y += height;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.h{font-size:14px;font-weight:bold}.l{font-size:12px}.v{font-size:10px;fill:#333}.t{font-size:16px;font-weight:bold}</style>',
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" class="t">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
