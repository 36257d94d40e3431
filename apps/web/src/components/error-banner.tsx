'use client';

import { CloseIcon, WarningIcon } from './icons';

/** The one place API errors are shown to the learner: the server's own message, verbatim. */
export function ErrorBanner({ message, onDismiss }: { message: string | null; onDismiss?: () => void }) {
  if (!message) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <WarningIcon />
      <span>{message}</span>
      {onDismiss ? (
        <button type="button" className="dismiss" onClick={onDismiss} aria-label="Dismiss">
          <CloseIcon />
        </button>
      ) : null}
    </div>
  );
}
