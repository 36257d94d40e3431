'use client';

import { formatBytes } from '@playground/contracts/files';
import { useTranslations } from 'next-intl';
import { useEffect, useRef, useState, type DragEvent, type ReactNode } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { uploadFiles, type InstanceRef } from '@/lib/files-client';
import styles from './files.module.css';

type UploadState =
  | { kind: 'idle' }
  | { kind: 'uploading'; names: string; fraction: number; abort: () => void }
  | { kind: 'done'; message: string }
  | { kind: 'error'; message: string };

const DONE_VISIBLE_MS = 8_000;

/** Files come from the OS (not a text selection dragged around the page). */
function carriesFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

/**
 * Wraps the terminals: files dropped on them are uploaded into the instance's /root, with
 * the upload's progress and the server's answer (e.g. the size limit) shown in the page.
 */
export function FileDropZone({
  instance,
  maxBytes,
  onUploaded,
  children,
}: {
  instance?: InstanceRef;
  /** The server's upload limit, once a listing told it: a bigger file is refused before it is sent. */
  maxBytes?: number;
  onUploaded: () => void;
  children: ReactNode;
}) {
  const t = useTranslations('files');
  const describeError = useDescribeError();
  const [dragging, setDragging] = useState(false);
  const [upload, setUpload] = useState<UploadState>({ kind: 'idle' });
  // dragenter/dragleave fire for every child crossed: count them to know when the pointer left.
  const depth = useRef(0);

  // A success note goes away by itself; an error stays until dismissed.
  useEffect(() => {
    if (upload.kind !== 'done') return;
    const timer = setTimeout(() => setUpload({ kind: 'idle' }), DONE_VISIBLE_MS);
    return () => clearTimeout(timer);
  }, [upload]);

  function onDragEnter(event: DragEvent) {
    if (!instance || !carriesFiles(event)) return;
    event.preventDefault();
    depth.current += 1;
    setDragging(true);
  }
  function onDragLeave(event: DragEvent) {
    if (!instance || !carriesFiles(event)) return;
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setDragging(false);
  }
  function onDragOver(event: DragEvent) {
    if (!instance || !carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }
  function onDrop(event: DragEvent) {
    if (!instance) return;
    event.preventDefault();
    depth.current = 0;
    setDragging(false);
    const files = Array.from(event.dataTransfer.files);
    if (files.length === 0) return;
    const tooBig = maxBytes === undefined ? undefined : files.find((file) => file.size > maxBytes);
    if (tooBig && maxBytes !== undefined) {
      setUpload({ kind: 'error', message: t('tooLarge', { name: tooBig.name, limit: formatBytes(maxBytes) }) });
      return;
    }
    const names = files.map((file) => file.name).join(', ');
    const handle = uploadFiles(instance, '/root', files, (fraction) =>
      setUpload((current) => (current.kind === 'uploading' ? { ...current, fraction } : current)),
    );
    setUpload({ kind: 'uploading', names, fraction: 0, abort: handle.abort });
    handle.done.then(
      (written) => {
        setUpload({ kind: 'done', message: t('uploaded', { paths: written.map((file) => file.path).join(', ') }) });
        onUploaded();
      },
      (error: Error) => setUpload({ kind: 'error', message: describeError(error, 'files.uploadFailed') }),
    );
  }

  return (
    <div className={styles.dropZone} data-testid="file-drop-zone" onDragEnter={onDragEnter} onDragLeave={onDragLeave} onDragOver={onDragOver} onDrop={onDrop}>
      {children}
      {dragging ? <div className={styles.dropOverlay}>{t('drop', { path: '/root' })}</div> : null}
      <UploadStatus upload={upload} onDismiss={() => setUpload({ kind: 'idle' })} />
    </div>
  );
}

function UploadStatus({ upload, onDismiss }: { upload: UploadState; onDismiss: () => void }) {
  const t = useTranslations('files');
  if (upload.kind === 'idle') return null;
  return (
    <div className={styles.uploadStatus} data-state={upload.kind} data-testid="upload-status" role={upload.kind === 'error' ? 'alert' : 'status'}>
      <div className={styles.statusRow}>
        <span>
          {upload.kind === 'uploading' ? t('uploading', { names: upload.names, percent: Math.round(upload.fraction * 100) }) : upload.message}
        </span>
        {upload.kind === 'uploading' ? (
          <button type="button" className={styles.linkButton} onClick={upload.abort}>
            {t('cancel')}
          </button>
        ) : (
          <button type="button" className={styles.linkButton} onClick={onDismiss} aria-label={t('dismiss')}>
            ×
          </button>
        )}
      </div>
      {upload.kind === 'uploading' ? (
        <div className={styles.progress} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(upload.fraction * 100)}>
          <span style={{ width: `${upload.fraction * 100}%` }} />
        </div>
      ) : null}
    </div>
  );
}
