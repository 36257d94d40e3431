import type {
  CreatedTokenView,
  CreateWorkshopBody,
  JoinedView,
  LearnerResultsView,
  LearnerWorkshopView,
  MeView,
  TokenView,
  WorkshopListView,
  WorkshopPublicView,
  WorkshopView,
} from '@playground/contracts';
import { request } from './api-client';

// The browser's calls for workshops: the instructor's (signed in with the session cookie that
// /api/auth sets; the page's own Origin is the server's CSRF check) and the learner's (no
// account: the join cookie and the session id).

const ws = (id: string) => `/workshops/${encodeURIComponent(id)}`;

export async function signIn(email: string, password: string): Promise<void> {
  await request<unknown>('POST', '/api/auth/sign-in/email', { email, password });
}

export async function signOut(): Promise<void> {
  await request<unknown>('POST', '/api/auth/sign-out', {});
}

export function getMe(): Promise<MeView> {
  return request('GET', '/me');
}

export function listTokens(): Promise<{ tokens: TokenView[] }> {
  return request('GET', '/me/tokens');
}

export function createToken(name: string): Promise<CreatedTokenView> {
  return request('POST', '/me/tokens', { name });
}

export async function revokeToken(id: string): Promise<void> {
  await request<unknown>('DELETE', `/me/tokens/${encodeURIComponent(id)}`);
}

export function listWorkshops(): Promise<WorkshopListView> {
  return request('GET', '/workshops');
}

export function createWorkshop(body: CreateWorkshopBody): Promise<WorkshopView> {
  return request('POST', '/workshops', body);
}

export function getWorkshop(id: string): Promise<WorkshopView> {
  return request('GET', ws(id));
}

/** 409 `insufficient_capacity` carries `details.guaranteed`. */
export function prepareSeats(id: string): Promise<WorkshopView> {
  return request('POST', `${ws(id)}/prepare`, {});
}

export function broadcast(id: string, message: string): Promise<{ delivered: number }> {
  return request('POST', `${ws(id)}/broadcast`, { message });
}

export function pushFile(id: string, path: string, content: string): Promise<LearnerResultsView> {
  return request('POST', `${ws(id)}/files`, { path, content });
}

export function execEverywhere(id: string, command: string): Promise<LearnerResultsView> {
  return request('POST', `${ws(id)}/exec`, { command });
}

/** More minutes for one learner, or for everyone without `learnerId`. */
export function extend(id: string, minutes: number, learnerId?: string): Promise<WorkshopView> {
  return request('POST', `${ws(id)}/extend`, learnerId ? { minutes, learnerId } : { minutes });
}

export async function endLearner(id: string, learnerId: string): Promise<void> {
  await request<unknown>('POST', `${ws(id)}/learners/${encodeURIComponent(learnerId)}/end`, {});
}

export async function askToHelp(id: string, learnerId: string): Promise<void> {
  await request<unknown>('POST', `${ws(id)}/learners/${encodeURIComponent(learnerId)}/help`, {});
}

export async function endWorkshop(id: string): Promise<void> {
  await request<unknown>('DELETE', ws(id));
}

export function attendanceUrl(id: string): string {
  return `/api/v1${ws(id)}/attendance.csv`;
}

// The learner's side.

export function getWorkshopByCode(code: string): Promise<WorkshopPublicView> {
  return request('GET', `/workshops/by-code/${encodeURIComponent(code)}`);
}

export function joinWorkshop(code: string, name: string): Promise<JoinedView> {
  return request('POST', '/workshops/join', { code, name });
}

/** 404 when the session is not a workshop's. */
export function getLearnerWorkshop(sessionId: string): Promise<LearnerWorkshopView> {
  return request('GET', `/sessions/${encodeURIComponent(sessionId)}/workshop`);
}

export function answerHelp(sessionId: string, allow: boolean): Promise<LearnerWorkshopView> {
  return request('POST', `/sessions/${encodeURIComponent(sessionId)}/workshop/help`, { allow });
}

/** A lab of one's own (format: labs/README.md); re-uploading a slug replaces it. */
export function uploadLab(slug: string, markdown: string): Promise<{ slug: string; title: string; language: string }> {
  return request('POST', '/labs', { slug, markdown });
}

export function listMyLabs(): Promise<{ labs: Array<{ slug: string; language: string; updatedAt: string }> }> {
  return request('GET', '/me/labs');
}

export async function deleteLab(slug: string, language: string): Promise<void> {
  await request<unknown>('DELETE', `/labs/${encodeURIComponent(slug)}?lang=${encodeURIComponent(language)}`);
}
