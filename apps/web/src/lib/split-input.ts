/** Largest `input` event the browser sends; the contract allows 64 KiB, this leaves room. */
export const MAX_INPUT_CHUNK = 32 * 1024;

/** Splits pasted text into chunks of at most `max` UTF-16 units, never inside a surrogate pair. */
export function splitInput(data: string, max = MAX_INPUT_CHUNK): string[] {
  if (data.length <= max) return [data];
  const chunks: string[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(start + max, data.length);
    if (end < data.length) {
      const code = data.charCodeAt(end - 1);
      if (code >= 0xd800 && code <= 0xdbff) end -= 1; // keep the pair together
    }
    chunks.push(data.slice(start, end));
    start = end;
  }
  return chunks;
}
