import { grow } from "../core/grow-typed-array.ts";

/** Lists end to end in key order, and each key's length (`PairLists.packed`). */
export interface PackedPairLists {
  lengths: Int32Array;
  ints: Int32Array;
  floats: Float32Array;
}

/**
 * Lists of (integer, weight) pairs keyed by small integers (article labels, term ids), all held
 * in one pair of large typed arrays (the slab) with a start, length and room per key: the
 * document index's vectors and postings (engine/document-index.ts). Two small typed arrays per
 * key made millions of heap objects at 100k articles, each walked by every full garbage
 * collection; a slab's contents are outside the heap (docs/performance.md, "Tenth session").
 *
 * A list that outgrows its room moves to the slab's end with twice the room; the room it
 * leaves, and that of a list cleared or set anew, is a hole. When holes pass half of the slab's
 * used part, the live lists are copied end to end into new arrays (compaction); when the slab is
 * full otherwise, it is copied into larger ones. Slots below the used end are only ever written
 * by `append`, `removeValue` and `removeMarked` inside their own list's room, so a view from
 * `view` of a list that is only `set` (an article's vector) keeps reading what it was given
 * after later writes.
 *
 * @example
 *   const lists = new PairLists();
 *   lists.append(3, 12, 0.5); // term 3 is in article 12 with weight 0.5
 *   lists.view(3).ints; // Int32Array [12]
 */
export class PairLists {
  #ints: Int32Array;
  #floats: Float32Array;
  #starts = new Int32Array(1024);
  #lengths = new Int32Array(1024);
  #rooms = new Int32Array(1024);
  /** The first slot no list's room has reached. */
  #end = 0;
  /** Slots below `#end` in no list's room. */
  #holes = 0;
  readonly #minimumHoles: number;

  /** `minimumHoles`: holes below this many never trigger a compaction (small in tests, to exercise it). */
  constructor(options: { initialSlots?: number; minimumHoles?: number } = {}) {
    this.#ints = new Int32Array(options.initialSlots ?? 4096);
    this.#floats = new Float32Array(this.#ints.length);
    this.#minimumHoles = options.minimumHoles ?? 4096;
  }

  /** The slab's integers: read a list as `ints[start(key) + i]` for i below `length(key)`; replaced on growth and compaction. */
  get ints(): Int32Array {
    return this.#ints;
  }

  /** The slab's weights, laid out as `ints`. */
  get floats(): Float32Array {
    return this.#floats;
  }

  start(key: number): number {
    return this.#starts[key]!;
  }

  length(key: number): number {
    return this.#lengths[key]!;
  }

  /** A key's list as views of the slab (no copy). */
  view(key: number): { ints: Int32Array; floats: Float32Array } {
    const start = this.#starts[key]!;
    const end = start + this.#lengths[key]!;
    return { ints: this.#ints.subarray(start, end), floats: this.#floats.subarray(start, end) };
  }

  /** Makes room for keys below `count`. */
  ensureKeys(count: number): void {
    if (count <= this.#starts.length) return;
    const size = Math.max(count, this.#starts.length * 2);
    this.#starts = grow(this.#starts, size);
    this.#lengths = grow(this.#lengths, size);
    this.#rooms = grow(this.#rooms, size);
  }

  /** Replaces a key's list (in fresh room: whatever viewed the old one still reads it). */
  set(key: number, ints: ArrayLike<number>, floats: ArrayLike<number>): void {
    this.clear(key);
    const start = this.#take(ints.length);
    this.#ints.set(ints, start);
    this.#floats.set(floats, start);
    this.#starts[key] = start;
    this.#lengths[key] = ints.length;
    this.#rooms[key] = ints.length;
  }

  append(key: number, value: number, weight: number): void {
    const length = this.#lengths[key]!;
    if (length === this.#rooms[key]) this.#move(key, Math.max(4, length * 2));
    const at = this.#starts[key]! + length;
    this.#ints[at] = value;
    this.#floats[at] = weight;
    this.#lengths[key] = length + 1;
  }

  /** Takes `value` out of a key's list, the last pair filling its place (order within a list is not kept); false when absent. */
  removeValue(key: number, value: number): boolean {
    const start = this.#starts[key]!;
    const length = this.#lengths[key]!;
    const at = this.#ints.subarray(start, start + length).indexOf(value);
    if (at < 0) return false;
    this.#ints[start + at] = this.#ints[start + length - 1]!;
    this.#floats[start + at] = this.#floats[start + length - 1]!;
    this.#lengths[key] = length - 1;
    return true;
  }

  /**
   * Takes out of a key's list every pair whose value `marked` flags (`marked[value] === 1`),
   * the rest closing up in their order; returns how many went.
   */
  removeMarked(key: number, marked: Uint8Array): number {
    const start = this.#starts[key]!;
    const end = start + this.#lengths[key]!;
    let to = start;
    for (let from = start; from < end; from++) {
      if (marked[this.#ints[from]!] === 1) continue;
      this.#ints[to] = this.#ints[from]!;
      this.#floats[to++] = this.#floats[from]!;
    }
    this.#lengths[key] = to - start;
    return end - to;
  }

  /** Empties a key's list and gives its room back. */
  clear(key: number): void {
    const room = this.#rooms[key]!;
    this.#lengths[key] = 0;
    this.#rooms[key] = 0;
    this.#starts[key] = 0;
    if (room === 0) return;
    this.#holes += room;
    if (this.#holes >= this.#minimumHoles && this.#holes * 2 > this.#end) this.#compact(0);
  }

  /**
   * Compacts the slab with each list's room cut to its length and a quarter more slots than
   * they fill: after a bulk load, whose moves leave holes and rooms up to twice their lists.
   */
  trim(): void {
    this.#compact(0, true);
  }

  /**
   * Every key's list end to end in key order, with each key's length: what a saved copy holds
   * (engine/document-index-file.ts). Order within each list is kept, so `fromPacked` gives back
   * lists that read pair for pair as these.
   */
  packed(): PackedPairLists {
    const keys = this.#starts.length;
    const lengths = this.#lengths.slice(0, keys);
    let total = 0;
    for (let key = 0; key < keys; key++) total += lengths[key]!;
    const ints = new Int32Array(total);
    const floats = new Float32Array(total);
    const fromInts = this.#ints;
    const fromFloats = this.#floats;
    let at = 0;
    // Lists that lie end to end in the slab (all of them after `fromPacked`, most after a bulk
    // load) are copied as one run: a view of each list (subarray, then set) cost several times
    // the copying, on the event loop of a server saving its index.
    let runStart = 0;
    let runEnd = 0;
    const copyRun = () => {
      ints.set(fromInts.subarray(runStart, runEnd), at);
      floats.set(fromFloats.subarray(runStart, runEnd), at);
      at += runEnd - runStart;
    };
    for (let key = 0; key < keys; key++) {
      const length = lengths[key]!;
      if (length === 0) continue;
      const start = this.#starts[key]!;
      if (start !== runEnd) {
        copyRun();
        runStart = start;
        runEnd = start;
      }
      runEnd += length;
    }
    copyRun();
    return { lengths, ints, floats };
  }

  /** Lists from `packed()`, laid out as `trim()` leaves them (each room its length, a quarter more slots). */
  static fromPacked(packed: PackedPairLists, options: { minimumHoles?: number } = {}): PairLists {
    const { lengths, ints, floats } = packed;
    const lists = new PairLists({ initialSlots: Math.max(1024, Math.ceil(ints.length * 1.25)), ...options });
    lists.ensureKeys(lengths.length);
    lists.#ints.set(ints);
    lists.#floats.set(floats);
    let start = 0;
    for (let key = 0; key < lengths.length; key++) {
      const length = lengths[key]!;
      if (length < 0 || start + length > ints.length) throw new Error(`list ${key} runs past the ${ints.length} packed pairs`);
      if (length > 0) lists.#starts[key] = start;
      lists.#lengths[key] = length;
      lists.#rooms[key] = length;
      start += length;
    }
    if (start !== ints.length) throw new Error(`lists hold ${start} pairs, ${ints.length} packed`);
    lists.#end = start;
    return lists;
  }

  /** Slots in the slab, those reached by some list's room (`used`, holes included) and the holes among them. */
  usage(): { slots: number; used: number; holes: number } {
    return { slots: this.#ints.length, used: this.#end, holes: this.#holes };
  }

  /** Moves a key's list to the slab's end with `room` slots. */
  #move(key: number, room: number): void {
    const start = this.#take(room);
    const length = this.#lengths[key]!;
    // Read after `#take`, which may have compacted the slab (and moved this list with it).
    const old = this.#starts[key]!;
    this.#ints.copyWithin(start, old, old + length);
    this.#floats.copyWithin(start, old, old + length);
    this.#holes += this.#rooms[key]!;
    this.#starts[key] = start;
    this.#rooms[key] = room;
  }

  /** The start of `size` fresh slots at the slab's end, compacting or growing it first when they do not fit. */
  #take(size: number): number {
    if (this.#end + size > this.#ints.length) {
      if (this.#holes >= this.#minimumHoles && this.#holes * 4 > this.#end) this.#compact(size);
      if (this.#end + size > this.#ints.length) {
        const slots = Math.max(this.#end + size, Math.ceil(this.#ints.length * 1.5));
        this.#ints = grow(this.#ints, slots);
        this.#floats = grow(this.#floats, slots);
      }
    }
    const start = this.#end;
    this.#end += size;
    return start;
  }

  /**
   * Copies the live lists end to end (in key order) into new arrays with room for `extra` more
   * slots and half as many again; a list using under a quarter of its room keeps twice its
   * length. `tight`: every list keeps its length, and the slab a quarter more.
   */
  #compact(extra: number, tight = false): void {
    let live = 0;
    for (let key = 0; key < this.#starts.length; key++) live += tight ? this.#lengths[key]! : this.#rooms[key]!;
    const slots = Math.max(1024, Math.ceil((live + extra) * (tight ? 1.25 : 1.5)));
    const ints = new Int32Array(slots);
    const floats = new Float32Array(slots);
    let end = 0;
    for (let key = 0; key < this.#starts.length; key++) {
      if (this.#rooms[key] === 0) continue;
      const start = this.#starts[key]!;
      const length = this.#lengths[key]!;
      const room = tight ? length : length * 4 < this.#rooms[key]! ? Math.min(this.#rooms[key]!, Math.max(4, length * 2)) : this.#rooms[key]!;
      ints.set(this.#ints.subarray(start, start + length), end);
      floats.set(this.#floats.subarray(start, start + length), end);
      this.#starts[key] = end;
      this.#rooms[key] = room;
      end += room;
    }
    this.#ints = ints;
    this.#floats = floats;
    this.#end = end;
    this.#holes = 0;
  }
}
