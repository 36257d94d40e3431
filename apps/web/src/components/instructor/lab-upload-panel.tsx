'use client';

import { useCallback, useEffect, useState } from 'react';
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
  const [labs, setLabs] = useState<MyLab[] | null>(null);
  const [slug, setSlug] = useState('');
  const [markdown, setMarkdown] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setLabs((await listMyLabs()).labs);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not list your labs.');
    }
  }, []);
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
      setDone(`"${lab.title}" is at /labs/${lab.slug}.`);
      setMarkdown('');
      setSlug('');
      await load();
      onChanged?.();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not upload the lab.');
    }
  };

  const remove = async (lab: MyLab) => {
    if (!window.confirm(`Remove the lab "${lab.slug}" (${lab.language})?`)) return;
    setError(null);
    try {
      await deleteLab(lab.slug, lab.language);
      await load();
      onChanged?.();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Could not remove the lab.');
    }
  };

  return (
    <div className="panel" data-testid="lab-upload-panel">
      <p className="muted">
        A lab is one Markdown file with front matter (see <code>labs/README.md</code>). Yours are listed at <a href="/labs">/labs</a> beside the
        shipped ones, and a workshop can follow one.
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
              <th>slug</th>
              <th>language</th>
              <th>updated</th>
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
                <td>{new Date(lab.updatedAt).toLocaleString()}</td>
                <td>
                  <button type="button" className="btn btn-sm btn-danger" onClick={() => void remove(lab)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : labs ? (
        <p className="muted">You have not uploaded a lab yet.</p>
      ) : null}
      <form className="tool-form lab-upload-form" onSubmit={upload}>
        <input type="file" accept=".md,text/markdown" aria-label="Lab file" data-testid="lab-file" onChange={(e) => void pick(e.target.files?.[0])} />
        <input value={slug} maxLength={63} onChange={(e) => setSlug(e.target.value)} placeholder="slug, e.g. docker-networks" aria-label="Lab slug" data-testid="lab-slug" />
        <textarea value={markdown} onChange={(e) => setMarkdown(e.target.value)} rows={8} placeholder="---&#10;title: …" aria-label="Lab Markdown" data-testid="lab-markdown" />
        <button type="submit" className="btn" disabled={!slug.trim() || !markdown.trim()} data-testid="upload-lab">
          Upload lab
        </button>
      </form>
    </div>
  );
}
