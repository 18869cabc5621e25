import { grow } from "../core/grow-typed-array.ts";
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

  /** Whether `id` still means the stem it meant when a vector was made at `epoch`. */
  isCurrent(id: number, epoch: number): boolean {
    return this.#releasedAt[id]! <= epoch;
  }
}
