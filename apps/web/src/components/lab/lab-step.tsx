'use client';

import type { LabStep as Step } from '@playground/labs/model';
import { useLocale, useTranslations } from 'next-intl';
import { useMemo, useState } from 'react';
import { renderLabMarkdown } from '@/lib/lab-markdown';

export type CheckState = { kind: 'idle' } | { kind: 'checking' } | { kind: 'passed' } | { kind: 'failed'; output: string; error?: string };

/** One step: its text with click-to-run blocks, and its Check with the verdict and the hint. */
export function LabStep({
  step,
  passed,
  onRunBlock,
  onCheck,
  canRun,
}: {
  step: Step;
  passed: boolean;
  canRun: boolean;
  onRunBlock: (blockId: string) => void;
  onCheck: (step: Step) => Promise<CheckState>;
}) {
  const t = useTranslations('lab');
  const locale = useLocale();
  const html = useMemo(
    () => renderLabMarkdown(step.markdown, step.blocks, { runIn: (instance) => t('runIn', { instance }), run: t('run') }),
    [step, t],
  );
  const [check, setCheck] = useState<CheckState>({ kind: 'idle' });
  const verdict = passed ? 'passed' : check.kind;

  const runFrom = (target: EventTarget) => {
    const block = (target as HTMLElement).closest<HTMLElement>('[data-block]');
    if (block?.dataset.block && canRun) onRunBlock(block.dataset.block);
  };

  return (
    <section className="lab-step" data-step={step.number} data-verdict={verdict}>
      <h2>
        <span className="lab-step-number" aria-hidden="true">
          {passed ? '✓' : step.number}
        </span>
        {step.title}
      </h2>
      <div
        className={`lab-markdown${canRun ? '' : ' lab-waiting'}`}
        onClick={(event) => runFrom(event.target)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            runFrom(event.target);
          }
        }}
        dangerouslySetInnerHTML={{ __html: html }}
      />
      {step.check ? (
        <div className="lab-check" lang={locale}>
          <button
            type="button"
            className="btn"
            data-testid={`check-step-${step.number}`}
            disabled={!canRun || check.kind === 'checking'}
            onClick={async () => {
              setCheck({ kind: 'checking' });
              setCheck(await onCheck(step));
            }}
          >
            {check.kind === 'checking' ? <span className="spinner" aria-hidden="true" /> : null}
            {t('check')}
          </button>
          <span className="lab-verdict" role="status" data-testid={`verdict-step-${step.number}`}>
            {verdict === 'passed' ? t('passed') : null}
            {check.kind === 'failed' && !passed ? (check.error ?? t('notYet')) : null}
          </span>
        </div>
      ) : null}
      {check.kind === 'failed' && !passed ? (
        <div className="lab-hint" data-testid={`hint-step-${step.number}`}>
          {step.hint ? <div className="lab-markdown" dangerouslySetInnerHTML={{ __html: renderLabMarkdown(step.hint) }} /> : null}
          {check.output.trim() ? <pre className="lab-check-output">{check.output.trim()}</pre> : null}
        </div>
      ) : null}
    </section>
  );
}
