import { grow } from "../grow-typed-array.ts";
import { allowedMissesFor, duplicateJaccard, signatureLength } from "./shingle-signature.ts";

/**
 * Finds, among the signatures added so far, every one that could be a copy of a new one, without
 * comparing it with each (folding a ranked window compared every pair: most of folding's time).
 *
 * Exact by the pigeonhole principle: `jaccardAtLeast` lets at most `allowedMisses` of the
 * signature's slots disagree, so with the slots cut into `allowedMisses + 1` bands, two
 * signatures it calls copies agree on every slot of at least one band (an empty slot, all ones,
 * never agrees). Each band of a signature is hashed with its position; two signatures that share
 * a band hash are candidates, which the caller then tests in full (a hash collision only costs a
 * test). A signature sharing no band hash with another is not its copy. Signatures of another
 * length (none are stored) are always candidates.
 */
export class CopyCandidates {
  readonly #bandStarts: Int32Array;
  /**
   * Open-addressed table of (band hash -> first entry of its chain); chains in `#next`. A slot is
   * in use only when its generation is the current one, so `reset` empties it without a fill.
   */
  #table: Int32Array;
  #keys: Int32Array;
  #slotGeneration: Int32Array;
  #generation = 1;
  #next: Int32Array = new Int32Array(64);
  #chainOwner: Int32Array = new Int32Array(64);
  #chainCount = 0;
  /** Members whose signature has another length: candidates of every signature. */
  readonly #unbanded: number[] = [];
  #added = 0;
  /** Per member, the stamp of the last `candidatesOf` that found it (each found once). */
  #seen: Uint32Array = new Uint32Array(16);
  #stamp = 0;
  /**
   * The band hashes of the signature `candidatesOf` was last asked about (-1: a band with an empty
   * slot): folding asks about a candidate and then adds it, and the hashes are most of `add`.
   */
  readonly #lastKeys: Int32Array;
  #lastSignature: Uint32Array | null = null;

  constructor(expected: number) {
    const bands = allowedMissesFor(duplicateJaccard) + 1;
    this.#bandStarts = new Int32Array(bands + 1);
    for (let band = 0; band <= bands; band++) this.#bandStarts[band] = Math.round((band * signatureLength) / bands);
    this.#lastKeys = new Int32Array(bands);
    const size = this.#sizeFor(expected);
    this.#table = new Int32Array(size);
    this.#keys = new Int32Array(size);
    this.#slotGeneration = new Int32Array(size);
  }

  /**
   * One instance kept for folding (synchronous, so never in use twice at once), emptied for each
   * window: a fresh table per query was tens of kilobytes of garbage a list.
   */
  static reused(expected: number): CopyCandidates {
    shared ??= new CopyCandidates(expected);
    shared.#reset(expected);
    return shared;
  }

  #reset(expected: number): void {
    this.#chainCount = 0;
    this.#added = 0;
    this.#lastSignature = null;
    this.#unbanded.length = 0;
    const size = this.#sizeFor(expected);
    if (size > this.#table.length || this.#generation === 0x7fffffff) {
      this.#table = new Int32Array(size);
      this.#keys = new Int32Array(size);
      this.#slotGeneration = new Int32Array(size);
      this.#generation = 0;
    }
    this.#generation++;
  }

  #sizeFor(expected: number): number {
    let size = 64;
    while (size < expected * (this.#bandStarts.length - 1) * 2) size *= 2;
    return size;
  }

  /**
   * The indexes (as given to `add`) of the signatures added so far that may be copies of this
   * one, each once, in no particular order.
   */
  candidatesOf(signature: Uint32Array): number[] {
    if (signature.length !== signatureLength) return Array.from({ length: this.#added }, (_, index) => index);
    if (this.#stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = 0;
    }
    const stamp = ++this.#stamp;
    const found: number[] = [];
    for (const owner of this.#unbanded) {
      this.#seen[owner] = stamp;
      found.push(owner);
    }
    const keys = this.#keysOf(signature);
    const mask = this.#table.length - 1;
    for (let band = 0; band < keys.length; band++) {
      const key = keys[band]!;
      if (key < 0) continue;
      for (let slot = key & mask; this.#slotGeneration[slot] === this.#generation; slot = (slot + 1) & mask) {
        if (this.#keys[slot] !== key) continue;
        for (let chain = this.#table[slot]!; chain !== -1; chain = this.#next[chain]!) {
          const owner = this.#chainOwner[chain]!;
          if (this.#seen[owner] !== stamp) {
            this.#seen[owner] = stamp;
            found.push(owner);
          }
        }
        break;
      }
    }
    return found;
  }

  /** Adds the signature of the next member: its index is the number added before it (0, 1, 2, ...). */
  add(signature: Uint32Array): void {
    const index = this.#added++;
    if (index >= this.#seen.length) this.#seen = growDoubling(this.#seen, index + 1);
    if (signature.length !== signatureLength) {
      this.#unbanded.push(index);
      return;
    }
    const keys = signature === this.#lastSignature ? this.#lastKeys : this.#keysOf(signature);
    let mask = this.#table.length - 1;
    for (let band = 0; band < keys.length; band++) {
      const key = keys[band]!;
      if (key < 0) continue;
      let slot = key & mask;
      let used = this.#slotGeneration[slot] === this.#generation;
      while (used && this.#keys[slot] !== key) {
        slot = (slot + 1) & mask;
        used = this.#slotGeneration[slot] === this.#generation;
      }
      if (this.#chainCount === this.#next.length) {
        this.#next = growDoubling(this.#next, this.#chainCount * 2);
        this.#chainOwner = growDoubling(this.#chainOwner, this.#chainCount * 2);
      }
      const chain = this.#chainCount++;
      this.#chainOwner[chain] = index;
      this.#next[chain] = used ? this.#table[slot]! : -1;
      this.#table[slot] = chain;
      this.#keys[slot] = key;
      this.#slotGeneration[slot] = this.#generation;
      if (this.#chainCount * 2 > this.#table.length) {
        this.#rehash();
        mask = this.#table.length - 1;
      }
    }
  }

  /** Every band's hash of a signature into `#lastKeys`, which it then belongs to. */
  #keysOf(signature: Uint32Array): Int32Array {
    const keys = this.#lastKeys;
    for (let band = 0; band < keys.length; band++) keys[band] = this.#bandKey(signature, band);
    this.#lastSignature = signature;
    return keys;
  }

  /** A band's hash (its slots and its position), or -1 when it has an empty slot and so can never agree. */
  #bandKey(signature: Uint32Array, band: number): number {
    let hash = Math.imul(band + 1, 0x9e3779b1);
    for (let i = this.#bandStarts[band]!; i < this.#bandStarts[band + 1]!; i++) {
      const value = signature[i]!;
      if (value === 0xffffffff) return -1;
      hash = Math.imul(hash ^ value, 0x01000193) ^ (hash >>> 15);
    }
    return hash & 0x7fffffff;
  }

  /** Doubles the table, keeping every chain (a chain's entries share one key). */
  #rehash(): void {
    const oldTable = this.#table;
    const oldKeys = this.#keys;
    const oldGeneration = this.#slotGeneration;
    const generation = this.#generation;
    this.#table = new Int32Array(oldTable.length * 2);
    this.#keys = new Int32Array(oldTable.length * 2);
    this.#slotGeneration = new Int32Array(oldTable.length * 2);
    const mask = this.#table.length - 1;
    for (let old = 0; old < oldTable.length; old++) {
      if (oldGeneration[old] !== generation) continue;
      let slot = oldKeys[old]! & mask;
      while (this.#slotGeneration[slot] === generation) slot = (slot + 1) & mask;
      this.#table[slot] = oldTable[old]!;
      this.#keys[slot] = oldKeys[old]!;
      this.#slotGeneration[slot] = generation;
    }
  }
}

let shared: CopyCandidates | undefined;

/** `array` grown to at least `size` elements, and at least twice its length (amortised growth). */
function growDoubling<T extends Int32Array | Uint32Array>(array: T, size: number): T {
  return grow(array, Math.max(size, array.length * 2));
}
