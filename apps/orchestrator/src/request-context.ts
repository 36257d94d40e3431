import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REQUEST_ID_HEADER, acceptedRequestId } from '@playground/contracts';

// The request an async chain of work belongs to. The HTTP dispatcher runs each API request
// inside one; everything it starts (even work that outlives the answer, such as a template
// being set up) keeps it, so log lines and the jobs sent to nodes carry its id.

export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Runs `handle` as the request: its id is the edge's (x-request-id; the edge replaces
 * whatever a browser sent) or a new one, and it is echoed on the response.
 */
export function runAsRequest(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  const requestId = acceptedRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
  res.setHeader(REQUEST_ID_HEADER, requestId);
  storage.run({ requestId }, handle);
}
