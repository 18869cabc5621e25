import { grow } from "../core/grow-typed-array.ts";
import { instantiateSimdDots, type SimdDotsFunction, simdDotsModule } from "./simd-dots-kernel.ts";
import { dotsAt, squaresAt } from "./stored-vector-dots.ts";

const pageBytes = 65536;
/** The most a 32-bit WebAssembly memory holds (4 GiB); more vectors than fit go in a plain array. */
const maxPages = 65536;
/** Candidates per kernel call (a multiple of 4): a larger pool is scored in several calls. */
const batchSize = 512;

/** The kernel over one memory and the views of its scratch. */
interface Kernel {
  dots: SimdDotsFunction;
  squares: SimdDotsFunction;
  query: Float64Array;
  addresses: Int32Array;
  out: Float64Array;
}

/**
 * The packed float32 vectors of an exact index, and the inner products of a query with many of
 * them (or of each with itself). Where WebAssembly SIMD is available the floats live in a `WebAssembly.Memory` (after a
 * small scratch area for the kernel's query, addresses and results), so the kernel reads each
 * stored vector in place; elsewhere (or when no memory can be had) in a plain Float32Array
 * scored by the plain loop. Either way the numbers are the same (see simd-dots-kernel.ts).
 *
 * More room means a new memory and a copy, as for a plain array, not `memory.grow`: growing
 * would detach every view of the old buffer, and callers hold vector views across writes (a
 * pgvector query's vector across its await), which must keep reading what they read.
 */
export class VectorStorage {
  readonly dimensions: number;
  #floats: Float32Array;
  #kernel: Kernel | null = null;
  /** Where the floats start in a memory, in bytes (after the scratch). */
  readonly #base: number;
  readonly #module: WebAssembly.Module | null;

  /** Storage for `size` floats, zeros; `useKernel: false` keeps them in a plain array (the reference path). */
  constructor(dimensions: number, size: number, options: { useKernel?: boolean } = {}) {
    this.dimensions = dimensions;
    this.#base = alignTo64(dimensions * 8 + batchSize * 12);
    this.#module = options.useKernel === false || dimensions % 4 !== 0 || dimensions === 0 ? null : simdDotsModule();
    this.#floats = this.#allocate(size) ?? new Float32Array(size);
  }

  /** Storage holding `floats`: copied into the kernel's memory, or taken over as it is where the kernel does not run. */
  static of(dimensions: number, floats: Float32Array): VectorStorage {
    const storage = new VectorStorage(dimensions, 0);
    const placed = storage.#allocate(floats.length);
    if (placed === null) storage.#floats = floats;
    else {
      placed.set(floats);
      storage.#floats = placed;
    }
    return storage;
  }

  /** The floats (a view that a later `resize` replaces; the old one keeps its vectors). */
  get floats(): Float32Array {
    return this.#floats;
  }

  /** Whether the SIMD kernel scores this storage (false: the plain loop). */
  get simd(): boolean {
    return this.#kernel !== null;
  }

  /** Room for `size` floats, the ones stored kept (never shrinks). */
  resize(size: number): void {
    if (size <= this.#floats.length) return;
    const old = this.#floats;
    const placed = this.#allocate(size);
    if (placed === null) this.#floats = grow(old, size);
    else {
      placed.set(old);
      this.#floats = placed;
    }
  }

  /**
   * `out[position]` = the inner product of `vector` with the stored vector starting at float
   * `offsets[position]`, for each of `positions`: `dotsAt` (stored-vector-dots.ts), the same doubles.
   */
  dotsAt(vector: Float32Array, offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
    const kernel = this.#kernel;
    if (kernel === null) dotsAt(vector, this.#floats, this.dimensions, offsets, positions, out);
    else {
      for (let i = 0; i < this.dimensions; i++) kernel.query[i] = vector[i]!;
      this.#runKernel(kernel, kernel.dots, offsets, positions, out);
    }
  }

  /** `out[position]` = the stored vector at `offsets[position]` times itself (x.x), for each of `positions`: `squaresAt`'s doubles. */
  squaresAt(offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
    const kernel = this.#kernel;
    if (kernel === null) squaresAt(this.#floats, this.dimensions, offsets, positions, out);
    else this.#runKernel(kernel, kernel.squares, offsets, positions, out);
  }

  #runKernel(kernel: Kernel, run: SimdDotsFunction, offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
    const { query, addresses, out: results } = kernel;
    for (let start = 0; start < positions.length; start += batchSize) {
      const end = Math.min(start + batchSize, positions.length);
      let count = 0;
      for (let n = start; n < end; n++) addresses[count++] = this.#base + offsets[positions[n]!]! * 4;
      // The kernel takes four at a time: the last address again fills the batch's last four.
      const padded = (count + 3) & ~3;
      for (let n = count; n < padded; n++) addresses[n] = addresses[count - 1]!;
      run(query.byteOffset, this.dimensions * 4, addresses.byteOffset, padded, results.byteOffset);
      for (let n = start; n < end; n++) out[positions[n]!] = results[n - start]!;
    }
  }

  /**
   * A new memory with room for `size` floats and the kernel over it, or null (kernel unavailable
   * or no memory to be had: the caller keeps a plain array, and `#kernel` is null).
   */
  #allocate(size: number): Float32Array | null {
    const memory = this.#module === null ? null : allocateMemory(this.#base + size * 4);
    if (this.#module === null || memory === null) {
      this.#kernel = null;
      return null;
    }
    const buffer = memory.buffer;
    const addressesAt = this.dimensions * 8;
    this.#kernel = {
      ...instantiateSimdDots(this.#module, memory),
      query: new Float64Array(buffer, 0, this.dimensions),
      addresses: new Int32Array(buffer, addressesAt, batchSize),
      out: new Float64Array(buffer, addressesAt + batchSize * 4, batchSize),
    };
    return new Float32Array(buffer, this.#base, size);
  }
}

function alignTo64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

/** A memory of at least `bytes`, or null when it cannot be had (too large, or the address space for memories is spent). */
function allocateMemory(bytes: number): WebAssembly.Memory | null {
  const pages = Math.max(1, Math.ceil(bytes / pageBytes));
  if (pages > maxPages) return null;
  try {
    // It never grows (see VectorStorage); the kernel's import asks for a maximum.
    return new WebAssembly.Memory({ initial: pages, maximum: pages });
  } catch {
    return null;
  }
}
