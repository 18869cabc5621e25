import { grow } from "../core/grow-typed-array.ts";
import { instantiateSimdDots, type SimdDotsFunction, simdDotsModule } from "./simd-dots-kernel.ts";
import { dotsAt } from "./stored-vector-dots.ts";

const pageBytes = 65536;
/** The most a 32-bit WebAssembly memory holds (4 GiB); more vectors than fit stay in a plain array. */
const maxPages = 65536;
/** Candidates per kernel call (a multiple of 4): a larger pool is scored in several calls. */
const batchSize = 512;

/** The kernel over one memory and the views of its scratch (re-taken when the memory grows). */
interface Kernel {
  memory: WebAssembly.Memory;
  dots: SimdDotsFunction;
  query: Float64Array;
  addresses: Int32Array;
  out: Float64Array;
}

/**
 * The packed float32 vectors of an exact index, and the inner products of a query with many of
 * them. Where WebAssembly SIMD is available the floats live in a `WebAssembly.Memory` (after a
 * small scratch area for the kernel's query, addresses and results), so the kernel reads each
 * stored vector in place; elsewhere, or past what a 32-bit memory holds, in a plain
 * Float32Array scored by the plain loop. Either way the numbers are the same (see
 * simd-dots-kernel.ts). Growing the memory detaches every view of it: `floats` is re-taken then,
 * so a view of a vector is good until the next write that grows the storage.
 */
export class VectorStorage {
  readonly dimensions: number;
  #floats: Float32Array;
  #kernel: Kernel | null = null;
  /** Where the floats start in the memory, in bytes (after the scratch). */
  readonly #base: number;

  /** Storage for `size` floats, zeros; `useKernel: false` keeps them in a plain array (the reference path). */
  constructor(dimensions: number, size: number, options: { useKernel?: boolean } = {}) {
    this.dimensions = dimensions;
    this.#base = alignTo64(dimensions * 8 + batchSize * 12);
    const module = options.useKernel === false || dimensions % 4 !== 0 || dimensions === 0 ? null : simdDotsModule();
    const memory = module === null ? null : allocateMemory(this.#base + size * 4);
    if (module !== null && memory !== null) {
      this.#kernel = this.#kernelViews(memory, instantiateSimdDots(module, memory));
      this.#floats = new Float32Array(memory.buffer, this.#base, size);
    } else {
      this.#floats = new Float32Array(size);
    }
  }

  /** Storage holding `floats`: copied into the kernel's memory, or taken over as it is where the kernel does not run. */
  static of(dimensions: number, floats: Float32Array): VectorStorage {
    const storage = new VectorStorage(dimensions, 0);
    if (storage.#kernel !== null) storage.resize(floats.length);
    if (storage.#kernel === null) storage.#floats = floats;
    else storage.#floats.set(floats);
    return storage;
  }

  /** The floats (a view that a later `resize` replaces). */
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
    const kernel = this.#kernel;
    if (kernel === null) {
      this.#floats = grow(this.#floats, size);
      return;
    }
    const pages = Math.ceil((this.#base + size * 4) / pageBytes);
    const more = pages - kernel.memory.buffer.byteLength / pageBytes;
    const grown = more <= 0 || (pages <= maxPages && tryGrow(kernel.memory, more));
    if (!grown) {
      // Past what the memory can hold: on in a plain array, scored by the plain loop.
      this.#floats = grow(this.#floats, size);
      this.#kernel = null;
      return;
    }
    this.#kernel = this.#kernelViews(kernel.memory, kernel.dots);
    this.#floats = new Float32Array(kernel.memory.buffer, this.#base, size);
  }

  /**
   * `out[position]` = the inner product of `vector` with the stored vector starting at float
   * `offsets[position]`, for each of `positions`: `dotsAt` (stored-vector-dots.ts), the same doubles.
   */
  dotsAt(vector: Float32Array, offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
    const kernel = this.#kernel;
    if (kernel === null) {
      dotsAt(vector, this.#floats, this.dimensions, offsets, positions, out);
      return;
    }
    const { query, addresses, out: results } = kernel;
    for (let i = 0; i < this.dimensions; i++) query[i] = vector[i]!;
    for (let start = 0; start < positions.length; start += batchSize) {
      const end = Math.min(start + batchSize, positions.length);
      let count = 0;
      for (let n = start; n < end; n++) addresses[count++] = this.#base + offsets[positions[n]!]! * 4;
      // The kernel takes four at a time: the last address again fills the batch's last four.
      const padded = (count + 3) & ~3;
      for (let n = count; n < padded; n++) addresses[n] = addresses[count - 1]!;
      kernel.dots(query.byteOffset, this.dimensions * 4, addresses.byteOffset, padded, results.byteOffset);
      for (let n = start; n < end; n++) out[positions[n]!] = results[n - start]!;
    }
  }

  #kernelViews(memory: WebAssembly.Memory, dots: SimdDotsFunction): Kernel {
    const buffer = memory.buffer;
    const addressesAt = this.dimensions * 8;
    return {
      memory,
      dots,
      query: new Float64Array(buffer, 0, this.dimensions),
      addresses: new Int32Array(buffer, addressesAt, batchSize),
      out: new Float64Array(buffer, addressesAt + batchSize * 4, batchSize),
    };
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
    return new WebAssembly.Memory({ initial: pages, maximum: maxPages });
  } catch {
    return null;
  }
}

function tryGrow(memory: WebAssembly.Memory, pages: number): boolean {
  try {
    memory.grow(pages);
    return true;
  } catch {
    return false;
  }
}
