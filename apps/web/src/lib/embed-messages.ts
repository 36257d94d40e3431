// Messages between embed.js (in the embedding page) and the frames it places
// (/embed/terminal): plain objects tagged with `source`, so a page's own messages are ignored.
//   page → frame  { source, type: 'run', code }      type this block into the terminal
//   frame → page  { source, type: 'status', state }  'connected' once the shell is attached

export const EMBED_MESSAGE_SOURCE = 'playground-embed';

export interface RunMessage {
  source: typeof EMBED_MESSAGE_SOURCE;
  type: 'run';
  code: string;
}

export function isRunMessage(data: unknown): data is RunMessage {
  const message = data as Partial<RunMessage> | null;
  return message?.source === EMBED_MESSAGE_SOURCE && message.type === 'run' && typeof message.code === 'string' && message.code.length <= 64 * 1024;
}

export function statusMessage(state: 'connected'): { source: string; type: 'status'; state: string } {
  return { source: EMBED_MESSAGE_SOURCE, type: 'status', state };
}
