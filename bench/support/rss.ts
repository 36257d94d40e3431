import { readFile, writeFile } from 'node:fs/promises';

// Resident memory of the stack's processes, read from /proc (Linux). Peaks come from two
// sources that agree when both work: polling VmRSS, and VmHWM after resetting it through
// /proc/<pid>/clear_refs (needs the same user or root; when refused, polling alone counts).

const KIB = 1024;

async function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? (Number(match[1]) * KIB) / (KIB * KIB) : null;
  } catch {
    return null;
  }
}

/** Current resident memory of `pid` in MiB, or null when the process is gone. */
export function rssMiB(pid: number): Promise<number | null> {
  return statusField(pid, 'VmRSS');
}

/** Median of a few RSS readings spaced `gapMs` apart: steadier than a single reading. */
export async function steadyRssMiB(pid: number, readings = 5, gapMs = 100): Promise<number | null> {
  const values: number[] = [];
  for (let i = 0; i < readings; i++) {
    const value = await rssMiB(pid);
    if (value !== null) values.push(value);
    if (i < readings - 1) await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  values.sort((a, b) => a - b);
  return values.length ? values[Math.floor(values.length / 2)]! : null;
}

/** Samples the RSS of some processes until stopped; reports each one's start and peak. */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private readonly starts = new Map<string, number | null>();
  private readonly hwmReset = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: Record<string, number>,
    private readonly intervalMs = 50,
  ) {}

  async start(): Promise<void> {
    for (const [name, pid] of Object.entries(this.pids)) {
      this.starts.set(name, await rssMiB(pid));
      // "5" resets the peak RSS (VmHWM) to the current RSS.
      await writeFile(`/proc/${pid}/clear_refs`, '5').then(
        () => this.hwmReset.add(name),
        () => undefined,
      );
    }
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    for (const [name, pid] of Object.entries(this.pids)) {
      const value = await rssMiB(pid);
      if (value !== null && value > (this.peaks.get(name) ?? 0)) this.peaks.set(name, value);
    }
  }

  async stop(): Promise<Record<string, { startMiB: number | null; peakMiB: number | null }>> {
    clearInterval(this.timer);
    await this.sample();
    const out: Record<string, { startMiB: number | null; peakMiB: number | null }> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      let peak = this.peaks.get(name) ?? null;
      if (this.hwmReset.has(name)) {
        const hwm = await statusField(pid, 'VmHWM');
        if (hwm !== null) peak = Math.max(peak ?? 0, hwm);
      }
      out[name] = { startMiB: this.starts.get(name) ?? null, peakMiB: peak };
    }
    return out;
  }
}
