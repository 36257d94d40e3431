import { z } from 'zod';

// One id follows one action across the processes: the edge gives each request one (or keeps
// a valid one a trusted caller sent), the orchestrator logs it with every line of the request
// and puts it on the jobs the request sends, and the node agent logs it with the job.

export const REQUEST_ID_HEADER = 'x-request-id';

/** What we accept from a caller: short, printable, no separators that could forge log fields. */
export const RequestId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/);

/** The caller's id if it is one we accept, else undefined. */
export function acceptedRequestId(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single !== undefined && RequestId.safeParse(single).success ? single : undefined;
}
