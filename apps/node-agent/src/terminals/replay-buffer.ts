// Recent terminal output, bounded to `capacity` bytes, replayed to each new viewer.
// When old bytes had to be dropped, the replay starts at a safe point: preferably just after
// a newline (so no escape sequence or half line is cut), else after any UTF-8 continuation
// bytes (so no character is cut).

/** How far into the replay we look for a line start before settling for a character start. */
const LINE_SEARCH_BYTES = 8192;

export class ReplayBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(readonly capacity: number) {}

  append(data: Uint8Array): void {
    if (data.length === 0) return;
    let chunk = Buffer.from(data);
    if (chunk.length >= this.capacity) {
      this.dropped = this.dropped || chunk.length > this.capacity || this.size > 0;
      this.chunks = [Buffer.from(chunk.subarray(chunk.length - this.capacity))];
      this.size = this.capacity;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.capacity) {
      const first = this.chunks[0]!;
      const excess = this.size - this.capacity;
      this.dropped = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  get length(): number {
    return this.size;
  }

  /** The bytes to send a new viewer, cut at a safe point if older output was dropped. */
  snapshot(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    if (!this.dropped) return all;
    const nl = all.subarray(0, LINE_SEARCH_BYTES).indexOf(0x0a);
    if (nl >= 0) return all.subarray(nl + 1);
    let start = 0;
    while (start < all.length && start < 4 && (all[start]! & 0xc0) === 0x80) start++;
    return all.subarray(start);
  }
}
