/**
 * `out[position] = dotAt(vector, data, offsets[position], dimensions)` for each of `positions`,
 * eight stored vectors at a time: the plain-JavaScript path, and the reference the SIMD kernel
 * (simd-dots-kernel.ts) must equal double for double. One inner product is a chain of dependent
 * additions (each waits for the last: the order is what makes the number), so a single one
 * leaves most of the core idle while it waits; eight independent chains side by side keep it
 * busy, and each chain still adds its own products in dimension order, so every number is the
 * one `dotAt` gives.
 */
export function dotsAt(vector: Float32Array, data: Float32Array, dimensions: number, offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
  const count = positions.length;
  let n = 0;
  for (; n + 7 < count; n += 8) {
    const p0 = positions[n]!;
    const p1 = positions[n + 1]!;
    const p2 = positions[n + 2]!;
    const p3 = positions[n + 3]!;
    const p4 = positions[n + 4]!;
    const p5 = positions[n + 5]!;
    const p6 = positions[n + 6]!;
    const p7 = positions[n + 7]!;
    const o0 = offsets[p0]!;
    const o1 = offsets[p1]!;
    const o2 = offsets[p2]!;
    const o3 = offsets[p3]!;
    const o4 = offsets[p4]!;
    const o5 = offsets[p5]!;
    const o6 = offsets[p6]!;
    const o7 = offsets[p7]!;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let i = 0; i < dimensions; i++) {
      const v = vector[i]!;
      s0 += v * data[o0 + i]!;
      s1 += v * data[o1 + i]!;
      s2 += v * data[o2 + i]!;
      s3 += v * data[o3 + i]!;
      s4 += v * data[o4 + i]!;
      s5 += v * data[o5 + i]!;
      s6 += v * data[o6 + i]!;
      s7 += v * data[o7 + i]!;
    }
    out[p0] = s0;
    out[p1] = s1;
    out[p2] = s2;
    out[p3] = s3;
    out[p4] = s4;
    out[p5] = s5;
    out[p6] = s6;
    out[p7] = s7;
  }
  for (; n < count; n++) out[positions[n]!] = dotAt(vector, data, offsets[positions[n]!]!, dimensions);
}

/**
 * `dot(vector, the stored vector at offset)`: the same products added in the same order (so the
 * same number), four to an iteration, reading the storage in place rather than through a view.
 */
export function dotAt(vector: Float32Array, data: Float32Array, offset: number, dimensions: number): number {
  let sum = 0;
  let i = 0;
  for (; i + 3 < dimensions; i += 4) {
    sum += vector[i]! * data[offset + i]!;
    sum += vector[i + 1]! * data[offset + i + 1]!;
    sum += vector[i + 2]! * data[offset + i + 2]!;
    sum += vector[i + 3]! * data[offset + i + 3]!;
  }
  for (; i < dimensions; i++) sum += vector[i]! * data[offset + i]!;
  return sum;
}

/**
 * `out[position]` = the stored vector at `offsets[position]` times itself, each in dimension
 * order: the x.x of a centred cosine (core/related/centered-cosine.ts), one vector at a time
 * (the path where the SIMD kernel does not run).
 */
export function squaresAt(data: Float32Array, dimensions: number, offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
  for (const position of positions) {
    const offset = offsets[position]!;
    out[position] = dotAt(data.subarray(offset, offset + dimensions), data, offset, dimensions);
  }
}
