import type { AdminSessionView, AuditEventView, InstanceView, NodeView, SessionView, TemplateView } from '@playground/contracts';
import type { LabSummaryView, LabView } from '@playground/labs/model';
import { isLocale } from '@/i18n/locales';

// The browser's client for the orchestrator's /api/v1, through the edge (same origin).
// Only types come from the contracts package: its runtime pulls in node:crypto.

/** An API failure carrying the server's stable code and its human message. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Facts the server sent beside the message inside `error` (e.g. `guaranteed` seats). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, status: number, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export const NETWORK_MESSAGE = 'Could not reach the playground. Check your connection and try again.';

/**
 * One JSON call to `/api/v1<path>` (or `path` as is when it starts with `/api/auth`).
 * `adminToken`: for the operator's calls (Authorization: Bearer).
 */
export async function request<T>(method: string, path: string, body?: unknown, adminToken?: string): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' };
  if (adminToken) headers.authorization = `Bearer ${adminToken}`;
  try {
    res = await fetch(path.startsWith('/api/auth/') ? path : `/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('network', NETWORK_MESSAGE, 0);
  }
  const text = await res.text().catch(() => '');
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) throw apiErrorOf(res.status, res.statusText, data);
  return data as T;
}

/** The error a failed answer carries (`data`: its parsed JSON body, if any). */
export function apiErrorOf(status: number, statusText: string, data: unknown): ApiError {
  // Ours: { error: { code, message, ...details } }; Better Auth's (/api/auth): { code, message }.
  const body = data as { error?: Record<string, unknown>; code?: unknown; message?: unknown } | undefined;
  const { code: rawCode, message: rawMessage, ...details } = body?.error ?? { code: body?.code, message: body?.message };
  const code = typeof rawCode === 'string' ? rawCode : `http_${status}`;
  const message =
    typeof rawMessage === 'string' && rawMessage ? rawMessage : `The playground answered ${status} ${statusText || ''}`.trim() + '. Please try again.';
  return new ApiError(code, message, status, details);
}

/**
 * `template`: what the session starts with (listTemplates); its instances appear within seconds.
 * `language`: the page's (its `<html lang>` unless given), which shells opened without one of
 * their own (an SSH client that sends no LANG) greet in.
 */
export function createSession(template?: string, language: string | undefined = pageLanguage()): Promise<SessionView> {
  return request<SessionView>('POST', '/sessions', { ...(template ? { template } : {}), ...(language && isLocale(language) ? { language } : {}) });
}

function pageLanguage(): string | undefined {
  return typeof document === 'undefined' ? undefined : document.documentElement.lang;
}

export function listTemplates(): Promise<{ templates: TemplateView[] }> {
  return request<{ templates: TemplateView[] }>('GET', '/templates');
}

export function getSession(sessionId: string): Promise<SessionView> {
  return request<SessionView>('GET', `/sessions/${encodeURIComponent(sessionId)}`);
}

export async function closeSession(sessionId: string): Promise<void> {
  await request<unknown>('DELETE', `/sessions/${encodeURIComponent(sessionId)}`);
}

/** Creates an instance; answers the new instance whether the API returns it or the whole session. */
export async function createInstance(sessionId: string, hostname?: string): Promise<InstanceView | null> {
  const data = await request<InstanceView | SessionView | undefined>(
    'POST',
    `/sessions/${encodeURIComponent(sessionId)}/instances`,
    hostname ? { hostname } : {},
  );
  if (!data) return null;
  if ('instances' in data) return data.instances.at(-1) ?? null;
  return 'hostname' in data ? data : null;
}

export async function deleteInstance(sessionId: string, instanceId: string): Promise<void> {
  await request<unknown>(
    'DELETE',
    `/sessions/${encodeURIComponent(sessionId)}/instances/${encodeURIComponent(instanceId)}`,
  );
}

export function listLabs(language?: string): Promise<{ labs: LabSummaryView[] }> {
  return request('GET', `/labs${language ? `?lang=${encodeURIComponent(language)}` : ''}`);
}

export function getLab(slug: string, language?: string): Promise<LabView> {
  return request('GET', `/labs/${encodeURIComponent(slug)}${language ? `?lang=${encodeURIComponent(language)}` : ''}`);
}

/** Runs a shell script in an instance (as root, in /root) and answers its exit code and output. */
export function runScript(sessionId: string, instanceId: string, script: string): Promise<{ exitCode: number | null; output: string }> {
  return request('POST', `/sessions/${encodeURIComponent(sessionId)}/instances/${encodeURIComponent(instanceId)}/exec`, { script });
}

// The operator's calls (the /admin page), with the admin token.

export function listNodes(token: string): Promise<{ nodes: NodeView[] }> {
  return request('GET', '/nodes', undefined, token);
}

export function setNodeDrained(token: string, nodeId: string, drained: boolean): Promise<NodeView> {
  return request('POST', `/nodes/${encodeURIComponent(nodeId)}/${drained ? 'drain' : 'undrain'}`, {}, token);
}

export function listLiveSessions(token: string): Promise<{ sessions: AdminSessionView[] }> {
  return request('GET', '/admin/sessions', undefined, token);
}

export function listAuditEvents(token: string, sessionId?: string): Promise<{ events: AuditEventView[] }> {
  const query = new URLSearchParams({ limit: '200', ...(sessionId ? { sessionId } : {}) });
  return request('GET', `/admin/audit?${query}`, undefined, token);
}

/** Where an instance's archives download from ("Download my work"). */
export function downloadUrl(sessionId: string, instanceId: string, archive: { what: 'home' } | { what: 'images'; images: string }): string {
  const base = `/api/v1/sessions/${encodeURIComponent(sessionId)}/instances/${encodeURIComponent(instanceId)}/download`;
  return archive.what === 'home' ? `${base}/home` : `${base}/images?images=${encodeURIComponent(archive.images)}`;
}

/**
 * Asks for a download and lets it go once it has started: an error known before the first byte
 * (a missing image, the node away) is thrown as the API's error, so the page can say it instead
 * of the browser saving an error as a file. The browser's own download (a link) then fetches it.
 */
export async function checkDownload(url: string): Promise<void> {
  const controller = new AbortController();
  let res: Response;
  try {
    res = await fetch(url, { signal: controller.signal, cache: 'no-store' });
  } catch {
    throw new ApiError('network', NETWORK_MESSAGE, 0);
  }
  if (res.ok) return controller.abort();
  const data = await res.json().catch(() => undefined);
  throw apiErrorOf(res.status, res.statusText, data);
}
