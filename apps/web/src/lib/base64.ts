// Files the instructor pushes travel as base64 in JSON (PushFileBody). The browser's btoa
// takes a "binary string", so bytes are turned into one in chunks (a spread of a whole large
// file would exceed the call stack's argument limit).

const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + CHUNK));
  }
  return btoa(binary);
}

/** Text as its UTF-8 bytes in base64. */
export function textToBase64(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}
