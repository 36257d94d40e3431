'use client';

import type { FileEntry, FileListView } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { downloadUrl, listFiles, type InstanceRef } from '@/lib/files-client';
import styles from './files.module.css';

const ROOT = '/root';

type Listing = { entries: FileEntry[]; truncated: boolean } | { error: string };

function isFolder(entry: FileEntry): boolean {
  return entry.kind === 'directory' || entry.targetKind === 'directory';
}

/**
 * The instance's tree under /root: folders expand on click (listed when opened), files open
 * in the editor, each file has a download link. `refreshKey` changes after an upload.
 */
export function FilesPanel({
  instance,
  refreshKey,
  onOpen,
  onCollapse,
  onLimits,
}: {
  instance: InstanceRef;
  refreshKey: number;
  onOpen: (path: string) => void;
  onCollapse: () => void;
  /** The server's limits, from each listing's answer. */
  onLimits: (limits: FileListView['limits']) => void;
}) {
  const t = useTranslations('files');
  const describeError = useDescribeError();
  const [listings, setListings] = useState<Record<string, Listing>>({});
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set([ROOT]));
  const [reloads, setReloads] = useState(0);

  const load = useCallback(
    async (path: string) => {
      try {
        const listing = await listFiles(instance, path);
        onLimits(listing.limits);
        setListings((current) => ({ ...current, [path]: { entries: listing.entries, truncated: listing.truncated } }));
      } catch (error) {
        setListings((current) => ({ ...current, [path]: { error: describeError(error, 'files.listFailed') } }));
      }
    },
    [instance, onLimits, describeError],
  );

  // Every open folder again, on refresh, after an upload, or for another instance.
  useEffect(() => {
    for (const path of expanded) void load(path);
    // `expanded` is read, not watched: opening a folder loads it in `toggle`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [load, refreshKey, reloads]);

  function toggle(path: string) {
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(path)) next.delete(path);
      else {
        next.add(path);
        void load(path);
      }
      return next;
    });
  }

  return (
    <aside className={styles.panel} data-testid="files-panel" aria-label={t('files')}>
      <div className={styles.panelHead}>
        <strong>{t('files')}</strong>
        <button type="button" className={styles.linkButton} onClick={() => setReloads((n) => n + 1)} data-testid="files-refresh" title={t('refresh')}>
          ↻ {t('refresh')}
        </button>
        <button type="button" className={styles.linkButton} onClick={onCollapse} aria-label={t('hide')} title={t('hide')}>
          »
        </button>
      </div>
      <div className={styles.hint}>{t('hint', { path: ROOT })}</div>
      <ul className={styles.tree} role="tree">
        <Folder path={ROOT} listings={listings} expanded={expanded} instance={instance} onToggle={toggle} onOpen={onOpen} />
      </ul>
    </aside>
  );
}

interface FolderProps {
  path: string;
  listings: Record<string, Listing>;
  expanded: Set<string>;
  instance: InstanceRef;
  onToggle: (path: string) => void;
  onOpen: (path: string) => void;
}

function Folder({ path, listings, expanded, instance, onToggle, onOpen }: FolderProps) {
  const t = useTranslations('files');
  const listing = listings[path];
  if (!listing) return <li className={styles.hint}>{t('loading')}</li>;
  if ('error' in listing) return <li className={styles.error} role="alert">{listing.error}</li>;
  if (listing.entries.length === 0) return <li className={styles.hint}>{t('empty')}</li>;
  const activate = (entry: FileEntry) => (isFolder(entry) ? onToggle(entry.path) : onOpen(entry.path));
  return (
    <>
      {listing.entries.map((entry) => (
        <li key={entry.path} role="treeitem" aria-expanded={isFolder(entry) ? expanded.has(entry.path) : undefined}>
          <div
            className={styles.row}
            data-testid="file-entry"
            data-path={entry.path}
            title={entry.target ? `${entry.path} → ${entry.target}` : entry.path}
            role="button"
            tabIndex={0}
            onClick={() => activate(entry)}
            onKeyDown={(event) => {
              if (event.key !== 'Enter' && event.key !== ' ') return;
              event.preventDefault();
              activate(entry);
            }}
          >
            <span aria-hidden="true">{isFolder(entry) ? (expanded.has(entry.path) ? '▾' : '▸') : '·'}</span>
            <span className={styles.name}>
              {entry.name}
              {entry.kind === 'symlink' ? ' →' : ''}
            </span>
            {isFolder(entry) ? null : (
              <a className={styles.download} href={downloadUrl(instance, entry.path)} download={entry.name} onClick={(event) => event.stopPropagation()} data-testid="file-download" title={t('download')}>
                ⤓
              </a>
            )}
          </div>
          {isFolder(entry) && expanded.has(entry.path) ? (
            <ul>
              <Folder path={entry.path} listings={listings} expanded={expanded} instance={instance} onToggle={onToggle} onOpen={onOpen} />
            </ul>
          ) : null}
        </li>
      ))}
      {listing.truncated ? <li className={styles.hint}>{t('truncated')}</li> : null}
    </>
  );
}
