'use client';

import type { LearnerResult } from '@playground/contracts';

/** What a push or a command did in each learner's first instance. */
export function LearnerResults({ results, testId }: { results: LearnerResult[]; testId: string }) {
  if (results.length === 0) return <p className="muted" data-testid={testId}>No learner to reach yet.</p>;
  return (
    <table className="data-table results" data-testid={testId}>
      <thead>
        <tr>
          <th>learner</th>
          <th>result</th>
          <th>output</th>
        </tr>
      </thead>
      <tbody>
        {results.map((result) => (
          <tr key={result.learnerId} data-learner={result.learnerId} data-ok={result.ok ? 'true' : 'false'}>
            <td>{result.name}</td>
            <td className={result.ok ? 'ok' : 'bad'}>
              {result.error ? result.error : result.exitCode === undefined || result.exitCode === null ? (result.ok ? 'done' : 'failed') : `exit ${result.exitCode}`}
            </td>
            <td>{result.output ? <pre className="result-output">{result.output}</pre> : null}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
