'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useCallback, useEffect, useState } from 'react';
import { useDescribeError } from '@/i18n/describe-error';
import { ApiError } from '@/lib/api-client';
import { deleteLab, listMyLabs, uploadLab } from '@/lib/workshop-api';
import { ErrorBanner } from '../error-banner';

type MyLab = { slug: string; language: string; updatedAt: string };

/** The slug a file name suggests: `My Lab.md` → `my-lab`. */
function slugOf(fileName: string): string {
  return fileName
    .replace(/\.md$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

/**
 * Labs of one's own: upload a Markdown lab (validated by the server, whose message names the
 * line that is wrong), see and remove what one uploaded. An uploaded lab is listed at /labs
 * and may be followed by a workshop.
 */
export function LabUploadPanel({ onChanged }: { onChanged?: () => void }) {
  const t = useTranslations('labUpload');
  const format = useFormatter();
  const describeError = useDescribeError();
  const [labs, setLabs] = useState<MyLab[] | null>(null);
  const [slug, setSlug] = useState('');
  const [markdown, setMarkdown] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setLabs((await listMyLabs()).labs);
    } catch (err) {
      setError(describeError(err, 'labUpload.listFailed'));
    }
  }, [describeError]);
  useEffect(() => void load(), [load]);

  const pick = async (file: File | undefined) => {
    if (!file) return;
    setMarkdown(await file.text());
    if (!slug) setSlug(slugOf(file.name));
  };

  const upload = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      const lab = await uploadLab(slug.trim(), markdown);
      setDone(t('uploaded', { title: lab.title, path: `/labs/${lab.slug}` }));
      setMarkdown('');
      setSlug('');
      await load();
      onChanged?.();
    } catch (err) {
      // The validator's message names the line that is wrong: kept whatever the page's language.
      setError(err instanceof ApiError && err.code === 'bad_request' ? t('invalid', { reason: err.message }) : describeError(err, 'labUpload.uploadFailed'));
    }
  };

  const remove = async (lab: MyLab) => {
    if (!window.confirm(t('confirmRemove', { slug: lab.slug, language: lab.language }))) return;
    setError(null);
    try {
      await deleteLab(lab.slug, lab.language);
      await load();
      onChanged?.();
    } catch (err) {
      setError(describeError(err, 'labUpload.removeFailed'));
    }
  };

  return (
    <div className="panel" data-testid="lab-upload-panel">
      <p className="muted">
        {t.rich('intro', { readme: () => <code>labs/README.md</code>, labs: () => <a href="/labs">/labs</a> })}
      </p>
      <ErrorBanner message={error} onDismiss={() => setError(null)} />
      {done ? (
        <p role="status" data-testid="lab-uploaded">
          {done}
        </p>
      ) : null}
      {labs && labs.length > 0 ? (
        <table className="data-table" data-testid="my-labs">
          <thead>
            <tr>
              <th>{t('slug')}</th>
              <th>{t('language')}</th>
              <th>{t('updated')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {labs.map((lab) => (
              <tr key={`${lab.slug}/${lab.language}`} data-lab={lab.slug}>
                <td>
                  <a href={`/labs/${lab.slug}?lang=${lab.language}`}>{lab.slug}</a>
                </td>
                <td>{lab.language}</td>
                <td>{format.dateTime(new Date(lab.updatedAt), { dateStyle: 'medium', timeStyle: 'short' })}</td>
                <td>
                  <button type="button" className="btn btn-sm btn-danger" onClick={() => void remove(lab)}>
                    {t('remove')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : labs ? (
        <p className="muted">{t('none')}</p>
      ) : null}
      <form className="tool-form lab-upload-form" onSubmit={upload}>
        <input type="file" accept=".md,text/markdown" aria-label={t('file')} data-testid="lab-file" onChange={(e) => void pick(e.target.files?.[0])} />
        <input value={slug} maxLength={63} onChange={(e) => setSlug(e.target.value)} placeholder={t('slugPlaceholder')} aria-label={t('slugLabel')} data-testid="lab-slug" />
        <textarea value={markdown} onChange={(e) => setMarkdown(e.target.value)} rows={8} placeholder="---&#10;title: …" aria-label={t('markdown')} data-testid="lab-markdown" />
        <button type="submit" className="btn" disabled={!slug.trim() || !markdown.trim()} data-testid="upload-lab">
          {t('upload')}
        </button>
      </form>
    </div>
  );
}
