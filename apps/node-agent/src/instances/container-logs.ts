import type Docker from 'dockerode';

/** Last line a container printed, to say why it stopped or failed. */
export async function lastLogLine(container: Docker.Container): Promise<string> {
  try {
    const buf = (await container.logs({ stdout: true, stderr: true, tail: 5 })) as unknown as Buffer;
    // Multiplexed frames (no TTY): strip the 8-byte headers.
    const lines: string[] = [];
    let off = 0;
    while (off + 8 <= buf.length) {
      const len = buf.readUInt32BE(off + 4);
      lines.push(buf.subarray(off + 8, off + 8 + len).toString('utf8'));
      off += 8 + len;
    }
    const last = lines.join('').trim().split('\n').pop() ?? '';
    return last.slice(0, 300);
  } catch {
    return '';
  }
}
