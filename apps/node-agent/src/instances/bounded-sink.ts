import { Writable } from 'node:stream';

/** Keeps the first `max` bytes written to it and notes whether more came. */
export class BoundedSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** More than `max` bytes were written; the rest was dropped. */
  overflowed = false;

  constructor(private readonly max: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const room = this.max - this.size;
    if (chunk.length > room) this.overflowed = true;
    if (room > 0) {
      const kept = chunk.subarray(0, room);
      this.chunks.push(kept);
      this.size += kept.length;
    }
    done();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }
}
