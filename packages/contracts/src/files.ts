import { z } from 'zod';

// The files of an instance, as the page's file panel and the REST API see them
// (/api/v1/sessions/:id/instances/:instanceId/files…), and as the orchestrator asks a node
// agent for them. Everything runs inside the instance's own container, never on the host.
//
// Paths: the API works under FILES_ROOT, the learner's working directory. A path is either
// relative to it or absolute under it; `..` segments, NUL bytes and absolute paths elsewhere
// are refused (400). Symlinks are resolved inside the instance, as its shell resolves them:
// a link under /root may lead anywhere in the instance's own file system (the learner is root
// there), never to the host, because the instance's container is the boundary.

/** The learner's working directory in an instance: uploads land here, the panel shows its tree. */
export const FILES_ROOT = '/root';

/** `raw` made absolute (relative to FILES_ROOT) without repeated slashes, `.` segments or a trailing slash. */
function normalize(raw: string): string {
  const absolute = raw.startsWith('/') ? raw : `${FILES_ROOT}/${raw}`;
  return absolute.replace(/\/+/g, '/').replace(/(\/\.)+(?=\/|$)/g, '').replace(/(.)\/$/, '$1') || '/';
}

/**
 * The absolute, normalized form of a path under FILES_ROOT (`notes.txt` → `/root/notes.txt`,
 * `/root//a/./b/` → `/root/a/b`), or an Error saying why it is refused.
 */
export function normalizeInstancePath(raw: string): string | Error {
  if (raw.includes('\0')) return new Error('a path cannot contain NUL bytes');
  if (raw.length > 4096) return new Error('a path is at most 4096 characters');
  if (raw.split('/').includes('..')) return new Error('a path cannot contain ".." segments');
  const clean = normalize(raw);
  if (clean !== FILES_ROOT && !clean.startsWith(`${FILES_ROOT}/`)) return new Error(`a path must lie under ${FILES_ROOT}`);
  return clean;
}

/** A path the agent accepts: absolute, no NUL, no `..` (checked again on the agent's side). */
export const InstancePath = z
  .string()
  .max(4096)
  .regex(/^\//, 'an absolute path')
  .refine((p) => !p.includes('\0') && !p.split('/').includes('..'), 'no NUL bytes or ".." segments');

/** `52428800` → "50 MB": how size limits are named in messages, by the API and the page alike. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

export const FileKind = z.enum(['file', 'directory', 'symlink', 'other']);
export type FileKind = z.infer<typeof FileKind>;

export const FileEntry = z.object({
  name: z.string(),
  /** Absolute path in the instance. */
  path: z.string(),
  kind: FileKind,
  /** For a symlink, the kind of what it points to (`other` when it dangles). */
  targetKind: FileKind.optional(),
  /** For a symlink, where it points, as written in the link. */
  target: z.string().optional(),
  size: z.number().int().min(0),
  modifiedAt: z.string(),
});
export type FileEntry = z.infer<typeof FileEntry>;

/** `GET …/files?path=`: one directory, directories first, then by name. */
export const FileListView = z.object({
  path: z.string(),
  entries: z.array(FileEntry),
  /** More entries exist than a listing carries (FILE_LIST_MAX_ENTRIES). */
  truncated: z.boolean(),
  /** The limits the page must respect (the page never guesses them). */
  limits: z.object({ uploadMaxBytes: z.number().int(), editorMaxBytes: z.number().int() }),
});
export type FileListView = z.infer<typeof FileListView>;

export const FILE_LIST_MAX_ENTRIES = 1000;

/** `GET …/files/text?path=`: a UTF-8 text file for the editor. */
export const FileTextView = z.object({ path: z.string(), size: z.number().int().min(0), content: z.string() });
export type FileTextView = z.infer<typeof FileTextView>;

/** `PUT …/files/text`: saves the editor's text (the file and missing directories are made). */
export const FileWriteBody = z.object({ path: z.string().min(1), content: z.string() }).strict();
export type FileWriteBody = z.infer<typeof FileWriteBody>;

export const FilePathQuery = z.object({ path: z.string().min(1).default(FILES_ROOT) });

// Agent side (Socket.IO `/agent`, orchestrator → agent).

/**
 * Largest chunk one `instance.files.read` answers with: the orchestrator's Socket.IO server
 * refuses messages over 1 MB (maxHttpBufferSize), so bigger files are read in several calls.
 */
export const FILE_CHUNK_MAX_BYTES = 768 * 1024;

export const FilesListRequest = z.object({
  instanceId: z.string(),
  path: InstancePath,
  maxEntries: z.number().int().positive().max(FILE_LIST_MAX_ENTRIES),
});
export type FilesListRequest = z.infer<typeof FilesListRequest>;

/** Codes: `file_not_found`, `not_a_directory`, `instance_not_found`, `timeout`. */
export type FilesListReply =
  | { ok: true; entries: Array<Omit<FileEntry, 'path'>>; truncated: boolean }
  | { ok: false; code: string; message: string };

export const FilesReadRequest = z.object({
  instanceId: z.string(),
  path: InstancePath,
  offset: z.number().int().min(0),
  length: z.number().int().min(0).max(FILE_CHUNK_MAX_BYTES),
});
export type FilesReadRequest = z.infer<typeof FilesReadRequest>;

/**
 * `path`: where the symlinks led (inside the instance); `size`: the whole file's; `data`: the
 * bytes from `offset`, at most `length`. Codes: `file_not_found`, `is_a_directory`,
 * `not_a_regular_file`, `instance_not_found`, `timeout`.
 */
export type FilesReadReply =
  | { ok: true; path: string; size: number; data: Uint8Array }
  | { ok: false; code: string; message: string };
