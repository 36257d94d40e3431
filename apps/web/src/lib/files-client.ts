import type { FileListView, FileTextView } from '@playground/contracts';
import { ApiError, apiErrorOf, NETWORK_MESSAGE, request } from './api-client';

// The file panel's calls (/api/v1/sessions/:id/instances/:iid/files…). Uploads go through
// XMLHttpRequest because fetch reports no upload progress.

export interface InstanceRef {
  sessionId: string;
  instanceId: string;
}

function base({ sessionId, instanceId }: InstanceRef): string {
  return `/sessions/${sessionId}/instances/${instanceId}/files`;
}

export function listFiles(instance: InstanceRef, path: string): Promise<FileListView> {
  return request<FileListView>('GET', `${base(instance)}?path=${encodeURIComponent(path)}`);
}

export function readText(instance: InstanceRef, path: string): Promise<FileTextView> {
  return request<FileTextView>('GET', `${base(instance)}/text?path=${encodeURIComponent(path)}`);
}

export function writeText(instance: InstanceRef, path: string, content: string): Promise<{ path: string; size: number }> {
  return request('PUT', `${base(instance)}/text`, { path, content });
}

/** A URL the browser downloads the file from (Content-Disposition: attachment). */
export function downloadUrl(instance: InstanceRef, path: string): string {
  return `/api/v1${base(instance)}/download?path=${encodeURIComponent(path)}`;
}

export interface UploadHandle {
  /** Resolves with the paths written, rejects with an ApiError. */
  done: Promise<Array<{ path: string; size: number }>>;
  abort: () => void;
}

/** Uploads files into `directory` of the instance; `onProgress` gets the fraction sent (0…1). */
export function uploadFiles(instance: InstanceRef, directory: string, files: File[], onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const form = new FormData();
  for (const file of files) form.append('file', file, file.name);
  const done = new Promise<Array<{ path: string; size: number }>>((resolve, reject) => {
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let data: unknown;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve((data as { files: Array<{ path: string; size: number }> }).files);
      else reject(apiErrorOf(xhr.status, xhr.statusText, data));
    };
    xhr.onerror = () => reject(new ApiError('network', NETWORK_MESSAGE, 0));
    xhr.onabort = () => reject(new ApiError('aborted', 'The upload was cancelled.', 0));
  });
  xhr.open('POST', `/api/v1${base(instance)}/upload?path=${encodeURIComponent(directory)}`);
  xhr.setRequestHeader('accept', 'application/json');
  xhr.send(form);
  return { done, abort: () => xhr.abort() };
}
