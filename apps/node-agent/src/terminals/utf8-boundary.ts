// Shell output arrives in reads that may end inside a multi-byte UTF-8 character. Handing on
// only whole characters lets each chunk travel as text (one frame per hop instead of a binary
// header plus attachment) and keeps the replay buffer ending on a character boundary.

/** How many bytes at the end of `buf` start a character that is not complete yet (0–3). */
export function incompleteTail(buf: Uint8Array): number {
  const length = buf.length;
  for (let back = 1; back <= 3 && back <= length; back++) {
    const byte = buf[length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back for its lead
    if (byte < 0xc0) return 0; // ASCII: everything before is complete or invalid anyway
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return needed > back ? back : 0;
  }
  return 0; // three continuation bytes: a complete 4-byte character, or bytes no decoder could join
}

/** Per shell: carries an incomplete trailing character over to the next chunk. */
export class Utf8Boundary {
  private carry: Buffer | undefined;

  /** The whole characters so far (possibly empty); the rest waits for the next chunk. */
  take(chunk: Buffer): Buffer {
    let data = chunk;
    if (this.carry) {
      data = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    const tail = incompleteTail(data);
    if (tail === 0) return data;
    this.carry = Buffer.from(data.subarray(data.length - tail));
    return data.subarray(0, data.length - tail);
  }
}
