'use client';

import type { InstanceUsage } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { meterRows } from '@/lib/usage-meters';

/**
 * An instance's live use of its limits, as the API last measured it: one small meter per
 * limit (CPU, memory, disk, the inner Docker's storage). Each is a `role="meter"` with its
 * values, so screen readers read "Memory, 320 / 512 MiB".
 */
export function InstanceMeters({ hostname, usage }: { hostname: string; usage: InstanceUsage }) {
  const t = useTranslations('meters');
  return (
    <div className="meters" data-testid="instance-meters" aria-label={t('limitsOf', { hostname })}>
      {meterRows(t, usage).map((row) => (
        <div
          key={row.key}
          className={`meter${row.near ? ' near' : ''}`}
          role="meter"
          aria-label={row.label}
          aria-valuemin={0}
          aria-valuemax={row.max}
          aria-valuenow={Math.min(row.used, row.max)}
          aria-valuetext={row.near ? t('nearlyFullValue', { text: row.text }) : row.text}
          data-testid={`meter-${row.key}`}
          data-percent={row.percent}
          title={`${row.description}: ${row.text}`}
        >
          <span className="meter-label">{row.label}</span>
          <span className="meter-track" aria-hidden="true">
            <span className="meter-fill" style={{ width: `${row.percent}%` }} />
          </span>
          <span className="meter-value">{row.key === 'cpu' ? `${row.percent}%` : row.text}</span>
        </div>
      ))}
    </div>
  );
}
