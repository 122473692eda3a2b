// One at a time per key: work queued for a key runs in call order, each piece once the previous one
// has settled (failed or not); different keys run concurrently. Keys are dropped when idle.
export class KeyedQueue<K> {
  private readonly tails = new Map<K, Promise<unknown>>();

  /** Whether work for `key` is queued or running (new work would wait for it). */
  busy(key: K): boolean {
    return this.tails.has(key);
  }

  run<T>(key: K, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}
