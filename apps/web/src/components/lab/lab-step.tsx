'use client';

import type { LabStep as Step } from '@playground/labs/model';
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
  const html = useMemo(() => renderLabMarkdown(step.markdown, step.blocks), [step]);
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
        <div className="lab-check">
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
            Check
          </button>
          <span className="lab-verdict" role="status" data-testid={`verdict-step-${step.number}`}>
            {verdict === 'passed' ? 'Done: the check passed.' : null}
            {check.kind === 'failed' && !passed ? (check.error ?? 'Not yet: the check did not pass.') : null}
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
