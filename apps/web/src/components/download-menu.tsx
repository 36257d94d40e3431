'use client';

import { useTranslations } from 'next-intl';
import { useState, type FormEvent } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { checkDownload, downloadUrl } from '@/lib/api-client';

/**
 * "Download my work": the instance's /root as a tarball, or `docker save` of images named in
 * it. The archive streams from the node as the browser saves it; the page first checks that the
 * download starts, so a missing image is a message here, not a file with an error in it.
 */
export function DownloadMenu({ sessionId, instanceId }: { sessionId: string; instanceId: string }) {
  const t = useTranslations('download');
  const describeError = useDescribeError();
  const [images, setImages] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function start(url: string) {
    setBusy(true);
    setError(null);
    try {
      await checkDownload(url);
      saveFrom(url);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  function downloadImages(event: FormEvent) {
    event.preventDefault();
    if (!images.trim()) return setError(t('imagesRequired'));
    void start(downloadUrl(sessionId, instanceId, { what: 'images', images: images.trim().split(/[\s,]+/).join(',') }));
  }

  return (
    <details className="download-menu" data-testid="download-menu">
      <summary className="btn">{t('menu')}</summary>
      <div className="download-panel">
        <button type="button" className="btn" disabled={busy} data-testid="download-home" onClick={() => void start(downloadUrl(sessionId, instanceId, { what: 'home' }))}>
          {t('home')}
        </button>
        <form onSubmit={downloadImages} noValidate>
          <label>
            {t('imagesLabel')}
            <input
              type="text"
              value={images}
              placeholder="nginx:latest myapp"
              data-testid="download-images-input"
              translate="no"
              onChange={(event) => setImages(event.target.value)}
            />
          </label>
          <button type="submit" className="btn" disabled={busy} data-testid="download-images">
            {t('images')}
          </button>
        </form>
        {error ? (
          <div className="download-error" role="alert" data-testid="download-error">
            {error}
          </div>
        ) : null}
      </div>
    </details>
  );
}

/** Lets the browser save the archive as it streams (the server names the file). */
function saveFrom(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  document.body.append(link);
  link.click();
  link.remove();
}
