import type { InstanceUsage, UsageMeter } from '@playground/contracts';

// What the page shows of an instance's live usage: one meter per limit, with its words. Which
// limits are nearly reached is the API's to say (`nearLimit`, from USAGE_WARN_THRESHOLD); the
// page only words it, in its own language (`meters` in messages/*.json).

export type MeterKey = 'cpu' | 'memory' | 'disk' | 'dockerData';

/** The page's translator for the `meters` messages (next-intl's `useTranslations('meters')`). */
export type MetersTranslator = (key: string, values?: Record<string, string | number>) => string;

export interface MeterRow {
  key: MeterKey;
  label: string;
  /** What it measures, for a tooltip. */
  description: string;
  /** Used and limit in the meter's unit (cores, bytes). */
  used: number;
  max: number;
  /** e.g. "320 / 512 MiB". */
  text: string;
  percent: number;
  near: boolean;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB"; whole numbers from 100 up, one decimal below. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits).replace(/\.0$/, '')} ${UNITS[unit]}`;
}

/** "287 / 512 MiB" when both share a unit, else "228 KiB / 1.5 GiB": short enough for the sidebar. */
export function formatUsedOfLimit(used: number, limit: number): string {
  const [u, l] = [formatBytes(used), formatBytes(limit)];
  const [uValue, uUnit] = u.split(' ');
  return uUnit === l.split(' ')[1] ? `${uValue} / ${l}` : `${u} / ${l}`;
}

function percentOf(used: number, max: number): number {
  return max > 0 ? Math.min(100, Math.round((used / max) * 100)) : 0;
}

function bytesRow(t: MetersTranslator, key: Exclude<MeterKey, 'cpu'>, meter: UsageMeter, near: boolean): MeterRow | null {
  // A meter needs a limit to be a meter; without one there is nothing to fill.
  if (meter.limit === null || meter.limit <= 0) return null;
  return {
    key,
    label: t(`label.${key}`),
    description: t(`description.${key}`),
    used: meter.used,
    max: meter.limit,
    text: formatUsedOfLimit(meter.used, meter.limit),
    percent: percentOf(meter.used, meter.limit),
    near,
  };
}

export function meterRows(t: MetersTranslator, usage: InstanceUsage): MeterRow[] {
  const near = new Set<string>(usage.nearLimit);
  const cores = usage.cpu.limit ?? 0;
  const cpuPercent = percentOf(usage.cpu.used, cores);
  const rows: (MeterRow | null)[] = [
    {
      key: 'cpu',
      label: t('label.cpu'),
      description: t('description.cpu', { cores }),
      used: usage.cpu.used,
      max: cores,
      text: t('cpuText', { percent: cpuPercent, cores }),
      percent: cpuPercent,
      near: false,
    },
    bytesRow(t, 'memory', usage.memory, near.has('memory')),
    usage.disk ? bytesRow(t, 'disk', usage.disk, near.has('disk')) : null,
    usage.dockerData ? bytesRow(t, 'dockerData', usage.dockerData, near.has('dockerData')) : null,
  ];
  return rows.filter((row): row is MeterRow => row !== null);
}

/** The warning for limits nearly reached, or null: what is full, and how to free it. */
export function nearLimitWarning(t: MetersTranslator, hostname: string, usage: InstanceUsage): string | null {
  const rows = meterRows(t, usage).filter((row) => row.near);
  if (rows.length === 0) return null;
  const what = rows.map((row) => t('fullPart', { what: t(`what.${row.key}`), percent: row.percent, text: row.text })).join(t('listSeparator'));
  const memoryOnly = rows.every((row) => row.key === 'memory');
  return t('nearlyFull', { hostname, what }) + ' ' + t(memoryOnly ? 'adviceMemory' : 'adviceDisk');
}
