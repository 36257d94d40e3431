import { writeFile } from 'node:fs/promises';
import { ratio, round } from './stats.ts';

// One row of the benchmark: a value measured through the real stack beside its floor
// (the same work done directly against Docker, in the same run), and the goal it is held to.

export interface Metric {
  name: string;
  unit: string;
  /** The headline figure (see README for which statistic each metric reports); null = not measured. */
  value: number | null;
  /** The floor: the same work without the playground in between. null where none exists. */
  baseline: number | null;
  /** value ÷ baseline. */
  ratio: number | null;
  p50: number | null;
  p99: number | null;
  /** The goal, in words, e.g. "p50 < 1 ms, ≤ 3× floor". */
  goal?: string;
  /** Whether the goal is met; null when there is no goal or nothing was measured. */
  met?: boolean | null;
  /** What else a reader needs: breakdowns, sizes, why a value is missing. */
  note?: string;
}

export interface MachineInfo {
  cpus: number;
  memoryGiB: number;
  kernel: string;
  docker: string;
  node: string;
  at: string;
}

export interface BenchResults {
  machine: MachineInfo;
  mode: 'quick' | 'full';
  durationSeconds: number;
  metrics: Metric[];
}

/** Builds a row with rounding and the ratio filled in. */
export function metric(fields: Omit<Metric, 'ratio'> & { ratio?: number | null }): Metric {
  return {
    ...fields,
    value: round(fields.value),
    baseline: round(fields.baseline),
    ratio: round(fields.ratio ?? ratio(fields.value, fields.baseline)),
    p50: round(fields.p50),
    p99: round(fields.p99),
  };
}

/** A row for a metric that could not be measured, saying why instead of inventing a number. */
export function notMeasured(name: string, unit: string, why: string, extra: Partial<Metric> = {}): Metric {
  return { name, unit, value: null, baseline: null, ratio: null, p50: null, p99: null, met: null, note: `not measured: ${why}`, ...extra };
}

function cell(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const abs = Math.abs(value);
  if (abs !== 0 && abs < 0.01) return value.toFixed(4);
  if (abs < 10) return value.toFixed(2);
  if (abs < 1000) return value.toFixed(1);
  return value.toFixed(0);
}

/** The results as a fixed-width text table, notes listed under it. */
export function formatTable(results: BenchResults): string {
  const header = ['metric', 'unit', 'value', 'floor', 'ratio', 'p50', 'p99', 'goal', 'met'];
  const rows = results.metrics.map((m) => [
    m.name,
    m.unit,
    cell(m.value),
    cell(m.baseline),
    m.ratio === null ? '—' : `${cell(m.ratio)}×`,
    cell(m.p50),
    cell(m.p99),
    m.goal ?? '',
    m.met === true ? 'yes' : m.met === false ? 'NO' : '',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const line = (row: string[]) => row.map((text, column) => (numeric.has(column) ? text.padStart(widths[column]!) : text.padEnd(widths[column]!))).join('  ').trimEnd();
  const { machine } = results;
  const out = [
    `Playground benchmark (${results.mode}) — ${machine.cpus} CPUs, ${machine.memoryGiB} GiB, kernel ${machine.kernel}, Docker ${machine.docker}, Node ${machine.node}, ${machine.at}, ${results.durationSeconds} s`,
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
  ];
  const notes = results.metrics.filter((m) => m.note);
  if (notes.length) {
    out.push('', 'Notes:');
    for (const m of notes) out.push(`  ${m.name}: ${m.note}`);
  }
  return out.join('\n');
}

export async function writeResults(file: string, results: BenchResults): Promise<void> {
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}
