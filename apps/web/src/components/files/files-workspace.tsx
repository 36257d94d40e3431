'use client';

import type { FileListView } from '@playground/contracts';
import { useTranslations } from 'next-intl';
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import type { InstanceRef } from '@/lib/files-client';
import { FileDropZone } from './file-drop-zone';
import { FileEditor } from './file-editor';
import { FilesPanel } from './files-panel';
import styles from './files.module.css';

/**
 * The terminals (`children`) with files around them: drop files on them to upload, the file
 * panel beside them, the editor over them. Without a running instance, just the terminals.
 */
export function FilesWorkspace({ sessionId, instanceId, children }: { sessionId: string; instanceId?: string; children: ReactNode }) {
  const t = useTranslations('files');
  const [panelOpen, setPanelOpen] = useState(true);
  const [refreshKey, setRefreshKey] = useState(0);
  const [editing, setEditing] = useState<string | null>(null);
  const [uploadMaxBytes, setUploadMaxBytes] = useState<number | undefined>(undefined);
  const onLimits = useCallback((limits: FileListView['limits']) => setUploadMaxBytes(limits.uploadMaxBytes), []);
  const instance = useMemo<InstanceRef | undefined>(() => (instanceId ? { sessionId, instanceId } : undefined), [sessionId, instanceId]);

  return (
    <div className={styles.workspace} hidden={!instance}>
      <FileDropZone instance={instance} maxBytes={uploadMaxBytes} onUploaded={() => setRefreshKey((n) => n + 1)}>
        {children}
      </FileDropZone>
      {instance && panelOpen ? (
        <FilesPanel key={instance.instanceId} instance={instance} refreshKey={refreshKey} onOpen={setEditing} onCollapse={() => setPanelOpen(false)} onLimits={onLimits} />
      ) : null}
      {instance && !panelOpen ? (
        <div className={styles.collapsed}>
          <button type="button" className="btn" data-testid="files-show" onClick={() => setPanelOpen(true)}>
            {t('files')}
          </button>
        </div>
      ) : null}
      {instance && editing ? <FileEditor key={editing} instance={instance} path={editing} onClose={() => setEditing(null)} /> : null}
    </div>
  );
}
