/** A hold on a graph's memory across an await (`HnswVectorIndex.lease`); `end` once done with it. */
export interface GraphLease {
  end(): void;
}

/**
 * When a replaced graph may give its memory back: once it is retired (another graph took its
 * place) and no user still holds a lease on it. `release` runs exactly once, at that moment.
 */
export class RetirementLeases {
  readonly #release: () => void;
  #leases = 0;
  #retired = false;
  #released = false;

  constructor(release: () => void) {
    this.#release = release;
  }

  get released(): boolean {
    return this.#released;
  }

  lease(): GraphLease {
    this.#leases++;
    let ended = false;
    return {
      end: () => {
        if (ended) return;
        ended = true;
        this.#leases--;
        this.#releaseIfUnused();
      },
    };
  }

  retire(): void {
    this.#retired = true;
    this.#releaseIfUnused();
  }

  #releaseIfUnused(): void {
    if (!this.#retired || this.#released || this.#leases > 0) return;
    this.#released = true;
    this.#release();
  }
}
