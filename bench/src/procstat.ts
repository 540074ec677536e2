// CPU time and resident memory of a server process, read from /proc.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond = 0;
export function clkTck(): number {
  if (!ticksPerSecond) ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticksPerSecond;
}

/** utime+stime of the process (all its threads) plus its waited-for children, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the parenthesised command name, which may contain spaces
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return ticks / clkTck();
}

/** CPU seconds of a process, or undefined once it is gone. */
export function tryCpuSeconds(pid: number): number | undefined {
  try {
    return cpuSeconds(pid);
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (all CPUs), from /proc/stat. */
export function machineCpu(): { busy: number; total: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3] + f[4];
  // steal: time the hypervisor ran something else while this VM wanted the CPU (counted in busy)
  return { busy: (total - idle) / clkTck(), total: total / clkTck(), steal: f[7] / clkTck() };
}

/** VmRSS in bytes (0 once the process is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface Usage {
  cpuSeconds: number;
  peakRssBytes: number;
  wallSeconds: number;
  /** cores the process used in the run's late window (PerfResult.lateWindowMs), when given one */
  coresLate?: number;
}

/**
 * CPU seconds sampled over time (performance.now() ms), so that a part of a run can be told
 * from its start: a fresh producer JVM spends its first seconds compiling, which the run's
 * total counts and its steady-state rate does not.
 */
export class CpuSeries {
  private readonly samples: [number, number][] = [];

  add(cpuSeconds: number, atMs = performance.now()): void {
    this.samples.push([atMs, cpuSeconds]);
  }

  /** Cores used between the samples nearest to fromMs and toMs; NaN without two distinct ones. */
  coresBetween(fromMs: number, toMs: number): number {
    const nearest = (t: number) => this.samples.reduce<[number, number] | undefined>((best, s) => (!best || Math.abs(s[0] - t) < Math.abs(best[0] - t) ? s : best), undefined);
    const a = nearest(fromMs);
    const b = nearest(toMs);
    if (!a || !b || b[0] <= a[0]) return NaN;
    return (b[1] - a[1]) / ((b[0] - a[0]) / 1000);
  }
}

/** Samples a process from start() to stop(): CPU delta and the highest VmRSS seen. */
export class ProcSampler {
  private cpu0 = 0;
  private t0 = 0;
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly series = new CpuSeries();

  constructor(readonly pid: number, private readonly intervalMs = 100) {}

  start(): void {
    this.cpu0 = cpuSeconds(this.pid);
    this.t0 = performance.now();
    this.peak = rssBytes(this.pid);
    this.series.add(this.cpu0);
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, rssBytes(this.pid));
      const cpu = tryCpuSeconds(this.pid);
      if (cpu !== undefined) this.series.add(cpu);
    }, this.intervalMs);
  }

  /** `lateWindowMs`: also report the cores used in that part of the run (Usage.coresLate). */
  stop(lateWindowMs?: [number, number]): Usage {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, rssBytes(this.pid));
    const cpu = cpuSeconds(this.pid);
    this.series.add(cpu);
    const usage: Usage = {
      cpuSeconds: cpu - this.cpu0,
      peakRssBytes: this.peak,
      wallSeconds: (performance.now() - this.t0) / 1000,
    };
    if (lateWindowMs) usage.coresLate = this.series.coresBetween(...lateWindowMs);
    return usage;
  }
}
