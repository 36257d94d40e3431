// Runs work one at a time per key inside this process. It sits in front of a Postgres lock
// (advisory or row) so that requests queued behind the same lock wait here, holding
// nothing, instead of each holding a pooled connection inside a transaction that only
// waits: with the pool full of waiters, the lock holder could starve. The database lock
// stays the guard; this only keeps one waiter per key in the pool.

export class KeyedMutex {
  /** The end of each key's chain of work; removed when the chain is empty. */
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or queued (for tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }
}
