import { grow } from "../core/grow-typed-array.ts";

/** A dictionary's state (`TermDictionary.snapshot`). */
export interface TermDictionarySnapshot {
  stems: string[];
  free: Int32Array;
  releasedAt: Int32Array;
  releases: number;
}

/**
 * The stems of the document index (engine/document-index.ts) and their ids: the index keeps its
 * per-term arrays (frequencies, postings) indexed by these ids. A stem no stored article holds
 * any more is forgotten and its id reused by the next new stem, so a long-running server whose
 * articles keep bringing new names (or a soak writing random words) holds as many terms as its
 * articles use, not every term it ever saw.
 *
 * A sparse vector made before an id was reused still carries it (a query being scored across a
 * write): `isCurrent` says whether an id still means the stem it meant when a vector was made at
 * a given `epoch`, so such a vector scores as if the stem had never come back (as when ids were
 * never reused: a forgotten stem matched nothing).
 */
export class TermDictionary {
  readonly #ids = new Map<string, number>();
  readonly #stems: string[] = [];
  readonly #free: number[] = [];
  /** The release count when each id was last released (0: never). */
  #releasedAt = new Int32Array(1024);
  #releases = 0;

  /** Stems known now. */
  size(): number {
    return this.#ids.size;
  }

  /** Ids handed out so far (known stems and free ids): how long the index's per-term arrays must be. */
  capacity(): number {
    return this.#stems.length;
  }

  /** Goes up with every release; a vector made now may use only ids released at or before it. */
  get epoch(): number {
    return this.#releases;
  }

  idOf(stem: string): number | undefined {
    return this.#ids.get(stem);
  }

  stemOf(id: number): string {
    return this.#stems[id]!;
  }

  /** The id of a stem, adding it (on a free id when there is one) when it is new. */
  add(stem: string): number {
    const known = this.#ids.get(stem);
    if (known !== undefined) return known;
    const id = this.#free.pop() ?? this.#stems.length;
    if (id === this.#stems.length) {
      this.#stems.push(stem);
      if (id >= this.#releasedAt.length) {
        this.#releasedAt = grow(this.#releasedAt, Math.max(id + 1, this.#releasedAt.length * 2));
      }
    } else {
      this.#stems[id] = stem;
    }
    this.#ids.set(stem, id);
    return id;
  }

  /** Forgets the stem of an id no stored article uses any more; the id goes to the next new stem. */
  release(id: number): void {
    const stem = this.#stems[id]!;
    if (this.#ids.get(stem) !== id) return;
    this.#ids.delete(stem);
    this.#stems[id] = "";
    this.#free.push(id);
    this.#releasedAt[id] = ++this.#releases;
  }

  /** Everything that decides the ids to come: stems by id ("" for a free id), the free ids in the order they are handed out last first, release counts. */
  snapshot(): TermDictionarySnapshot {
    return { stems: [...this.#stems], free: Int32Array.from(this.#free), releasedAt: this.#releasedAt.slice(0, this.#stems.length), releases: this.#releases };
  }

  /** A dictionary that hands out and checks ids exactly as the one `snapshot()` was taken of. */
  static fromSnapshot(snapshot: TermDictionarySnapshot): TermDictionary {
    const { stems, free, releasedAt, releases } = snapshot;
    if (releasedAt.length !== stems.length) throw new Error(`${stems.length} stems but ${releasedAt.length} release counts`);
    const dictionary = new TermDictionary();
    stems.forEach((stem, id) => {
      dictionary.#stems.push(stem);
      if (stem !== "") dictionary.#ids.set(stem, id);
    });
    if (dictionary.#ids.size + free.length !== stems.length)
      throw new Error(`${dictionary.#ids.size} distinct stems and ${free.length} free ids, ${stems.length} ids`);
    for (const id of free) {
      if (stems[id] !== "") throw new Error(`free id ${id} holds a stem`);
      dictionary.#free.push(id);
    }
    dictionary.#releasedAt = new Int32Array(Math.max(1024, releasedAt.length));
    dictionary.#releasedAt.set(releasedAt);
    dictionary.#releases = releases;
    return dictionary;
  }

  /** Whether `id` still means the stem it meant when a vector was made at `epoch`. */
  isCurrent(id: number, epoch: number): boolean {
    return this.#releasedAt[id]! <= epoch;
  }
}
