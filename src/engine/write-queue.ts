/**
 * Runs writes one at a time, in order (a failed one does not stop the next), and counts those
 * running: while one is, a stored row may be ahead of the in-memory indexes (see
 * `KindredEngine.readArticle`).
 */
export class WriteQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #running = 0;

  /** Writes running now (zero: the indexes hold every row this process wrote). */
  get running(): number {
    return this.#running;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    const counted = async () => {
      this.#running++;
      try {
        return await work();
      } finally {
        this.#running--;
      }
    };
    const run = this.#tail.then(counted, counted);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
