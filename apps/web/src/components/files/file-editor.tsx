'use client';

import { useTranslations } from 'next-intl';
import { useEffect, useRef, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import type { Extension } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { readText, writeText, type InstanceRef } from '@/lib/files-client';
import styles from './files.module.css';

/** Highlighting for the file's name (`Dockerfile`, `compose.yaml`, `app.py`…), loaded on demand; none when unknown. */
async function languageFor(path: string): Promise<Extension> {
  const [{ LanguageDescription }, { languages }] = await Promise.all([import('@codemirror/language'), import('@codemirror/language-data')]);
  const description = LanguageDescription.matchFilename(languages, path.split('/').pop() ?? path);
  return description ? description.load() : [];
}

type State = { kind: 'loading' } | { kind: 'ready'; dirty: boolean; saving: boolean; message?: string } | { kind: 'refused'; message: string };

/**
 * A dialog with one file of the instance in CodeMirror 6: Save (or Ctrl/Cmd-S) writes it
 * back. The server refuses binaries and files over the editor's limit; its message is shown.
 */
export function FileEditor({ instance, path, onClose }: { instance: InstanceRef; path: string; onClose: () => void }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const saveRef = useRef<() => void>(() => undefined);
  const t = useTranslations('files');
  const describeError = useDescribeError();
  // Read inside the editor's callbacks, which outlive a render.
  const words = useRef({ t, describeError });
  words.current = { t, describeError };
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    let disposed = false;
    (async () => {
      let content: string;
      try {
        content = (await readText(instance, path)).content;
      } catch (error) {
        if (!disposed) setState({ kind: 'refused', message: words.current.describeError(error, 'files.openFailed') });
        return;
      }
      // CodeMirror touches the DOM: loaded in the browser only, and only when a file opens.
      const [{ basicSetup }, { EditorView, keymap }, { oneDark }, language] = await Promise.all([
        import('codemirror'),
        import('@codemirror/view'),
        import('@codemirror/theme-one-dark'),
        languageFor(path),
      ]);
      if (disposed || !hostRef.current) return;
      viewRef.current = new EditorView({
        doc: content,
        parent: hostRef.current,
        extensions: [
          keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => (saveRef.current(), true) }]),
          basicSetup,
          oneDark,
          language,
          EditorView.updateListener.of((update) => {
            if (update.docChanged) setState((current) => (current.kind === 'ready' ? { ...current, dirty: true, message: undefined } : current));
          }),
        ],
      });
      setState({ kind: 'ready', dirty: false, saving: false });
      viewRef.current.focus();
    })();
    return () => {
      disposed = true;
      viewRef.current?.destroy();
      viewRef.current = null;
    };
  }, [instance, path]);

  saveRef.current = () => {
    const view = viewRef.current;
    if (!view || state.kind !== 'ready' || state.saving) return;
    setState({ ...state, saving: true, message: undefined });
    writeText(instance, path, view.state.doc.toString()).then(
      () => setState({ kind: 'ready', dirty: false, saving: false, message: words.current.t('saved') }),
      (error: Error) => setState({ kind: 'ready', dirty: true, saving: false, message: words.current.describeError(error, 'files.saveFailed') }),
    );
  };

  // Unsaved changes are lost only when the learner says so.
  const close = () => {
    if (state.kind === 'ready' && state.dirty && !window.confirm(t('discard', { path }))) return;
    onClose();
  };

  return (
    <div className={styles.dialog} role="dialog" aria-modal="true" aria-label={t('edit', { path })} onKeyDown={(event) => event.key === 'Escape' && close()}>
      <div className={styles.editor} data-testid="file-editor">
        <div className={styles.editorHead}>
          <code>
            {path}
            {state.kind === 'ready' && state.dirty ? ' •' : ''}
          </code>
          {state.kind === 'ready' && state.message ? <span data-testid="editor-message" role="status">{state.message}</span> : null}
          <button type="button" className="btn btn-primary" data-testid="editor-save" disabled={state.kind !== 'ready' || state.saving} onClick={() => saveRef.current()}>
            {state.kind === 'ready' && state.saving ? t('saving') : t('save')}
          </button>
          <button type="button" className="btn" data-testid="editor-close" onClick={close}>
            {t('close')}
          </button>
        </div>
        {state.kind === 'loading' ? <div className={styles.editorMessage}>{t('opening')}</div> : null}
        {state.kind === 'refused' ? (
          <div className={styles.editorMessage} role="alert" data-testid="editor-refused">
            {state.message}
          </div>
        ) : null}
        <div className={styles.editorBody} ref={hostRef} hidden={state.kind === 'refused'} />
      </div>
    </div>
  );
}
