/**
 * A WebAssembly SIMD kernel for many inner products of one query with stored float32 vectors
 * (and of stored vectors with themselves), giving exactly the doubles of the plain loops
 * (stored-vector-dots.ts): each f64x2 lane is one candidate, adding its products in dimension
 * order in float64. A float32 * float32 product is exact in float64, so the lane's multiply and
 * add round exactly as the scalar `sum += q * x` does, and the lanes only let two candidates
 * (two pairs per pass) share each instruction.
 *
 * The bytes are assembled here, from the text below, rather than by a tool: the module is two
 * small functions, and writing them out keeps the build free of a WebAssembly toolchain (the
 * equivalence test checks every double against the plain loops). The text (WAT):
 *
 *   (module
 *     (import "env" "memory" (memory 1 65536))
 *     ;; out[n] = sum over i of query[i] * (f32 at addresses[n] + 4i), query widened to f64;
 *     ;; count a multiple of 4, dimsBytes (4 * dimensions) a multiple of 16.
 *     (func (export "dots") (param $q i32) (param $dimsBytes i32) (param $addrs i32) (param $count i32) (param $out i32)
 *       (local $n i32) (local $i i32) (local $qp i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32)
 *       (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128)
 *       (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $ab v128) (local $cd v128)
 *       (local $lo v128) (local $hi v128)
 *       (block $done (loop $candidates
 *         (br_if $done (i32.ge_u (local.get $n) (local.get $count)))
 *         (local.set $a (i32.load offset=0 (i32.add (local.get $addrs) (i32.shl (local.get $n) (i32.const 2)))))
 *         ... $b, $c, $d at offset=4, 8, 12
 *         (local.set $ab (v128.const i64x2 0 0)) (local.set $cd (v128.const i64x2 0 0))
 *         (local.set $i (i32.const 0)) (local.set $qp (local.get $q))
 *         (loop $dimensions                                   ;; four dimensions a pass
 *           (local.set $va (v128.load (i32.add (local.get $a) (local.get $i)))) ... $vb, $vc, $vd
 *           (local.set $q0 (v128.load64_splat offset=0 (local.get $qp))) ... $q1, $q2, $q3 at 8, 16, 24
 *           ;; for the pair (a, b) into $ab, then (c, d) into $cd:
 *           (local.set $lo (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $va) (local.get $vb)))      ;; a0 b0 a1 b1
 *           (local.set $hi (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $va) (local.get $vb))) ;; a2 b2 a3 b3
 *           (local.set $ab (f64x2.add (local.get $ab) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $lo)) (local.get $q0))))
 *           (local.set $ab (f64x2.add (local.get $ab) (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8..15 8..15 (local.get $lo) (local.get $lo))) (local.get $q1))))
 *           (local.set $ab (f64x2.add (local.get $ab) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $hi)) (local.get $q2))))
 *           (local.set $ab (f64x2.add (local.get $ab) (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8..15 8..15 (local.get $hi) (local.get $hi))) (local.get $q3))))
 *           (local.set $qp (i32.add (local.get $qp) (i32.const 32)))
 *           (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *           (br_if $dimensions (i32.lt_u (local.get $i) (local.get $dimsBytes))))
 *         (v128.store offset=0 (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (local.get $ab))
 *         (v128.store offset=16 (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (local.get $cd))
 *         (local.set $n (i32.add (local.get $n) (i32.const 4)))
 *         (br $candidates))))
 *     ;; out[n] = sum over i of x[i] * x[i], x the f32 vector at addresses[n] (the x.x of a centred
 *     ;; cosine): the same function without the query, each promoted pair times itself, the pair
 *     ;; held in $q0; the same signature, $q unused.
 *     (func (export "squares") (param $q i32) (param $dimsBytes i32) (param $addrs i32) (param $count i32) (param $out i32)
 *       ... as "dots", but no $q0-$q3 loads, and for each of the four promoted pairs:
 *           (local.set $q0 (f64x2.promote_low_f32x4 (local.get $lo)))
 *           (local.set $ab (f64x2.add (local.get $ab) (f64x2.mul (local.get $q0) (local.get $q0))))
 *       ...))
 */

/** Locals by index: the five parameters, then the declared i32s and v128s, in the text's order. */
const [q, dimsBytes, addrs, count, out, n, i, qp, a, b, c, d] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const [va, vb, vc, vd, q0, q1, q2, q3, ab, cd, lo, hi] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];

/** Unsigned LEB128, as the binary format writes sizes, indices and offsets. */
function leb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

const get = (local: number) => [0x20, local];
const set = (local: number, ...value: number[][]) => [...value.flat(), 0x21, local];
/** i32.const for the small non-negative numbers used here (signed LEB128 below 64). */
const i32 = (value: number) => [0x41, value];
const add = (x: number[], y: number[]) => [...x, ...y, 0x6a];
const simd = (opcode: number) => [0xfd, ...leb(opcode)];
const load32 = (offset: number, address: number[]) => [...address, 0x28, 2, ...leb(offset)];
const load128 = (address: number[]) => [...address, ...simd(0x00), 4, 0];
const splat64 = (offset: number, address: number[]) => [...address, ...simd(0x0a), 3, ...leb(offset)];
const store128 = (offset: number, address: number[], value: number[]) => [...address, ...value, ...simd(0x0b), 4, ...leb(offset)];
const shuffle = (lanes: number[], x: number[], y: number[]) => [...x, ...y, ...simd(0x0d), ...lanes];
const promoteLow = (x: number[]) => [...x, ...simd(0x5f)];
const mulAdd = (sum: number, x: number[], by: number) => set(sum, get(sum), [...x, ...get(by), ...simd(0xf2), ...simd(0xf0)]);
const zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];

const lowPairs = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
const highPairs = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
const upperHalf = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * Four dimensions of the candidates in `x` and `y` into the lanes of `sum`: each times the
 * query's (`dots`), or times itself (`squares`, the promoted pair kept in `q0`, which it does not use).
 */
function pairPass(x: number, y: number, sum: number, squares: boolean): number[] {
  const pairs = [promoteLow(get(lo)), promoteLow(shuffle(upperHalf, get(lo), get(lo))), promoteLow(get(hi)), promoteLow(shuffle(upperHalf, get(hi), get(hi)))];
  return [
    ...set(lo, shuffle(lowPairs, get(x), get(y))),
    ...set(hi, shuffle(highPairs, get(x), get(y))),
    ...pairs.flatMap((pair, k) => (squares ? [...set(q0, pair), ...mulAdd(sum, get(q0), q0)] : mulAdd(sum, pair, [q0, q1, q2, q3][k]!))),
  ];
}

const addressOfN = (shift: number, base: number) => add(get(base), [...get(n), ...i32(shift), 0x74]);

const body = (squares: boolean) => [
  ...[0x02, 0x40, 0x03, 0x40], // block $done, loop $candidates
  ...get(n),
  ...get(count),
  ...[0x4f, 0x0d, 1], // i32.ge_u, br_if $done
  ...[a, b, c, d].flatMap((local, k) => set(local, load32(4 * k, addressOfN(2, addrs)))),
  ...set(ab, zero),
  ...set(cd, zero),
  ...set(i, i32(0)),
  ...set(qp, get(q)),
  ...[0x03, 0x40], // loop $dimensions
  ...[a, b, c, d].flatMap((address, k) => set([va, vb, vc, vd][k]!, load128(add(get(address), get(i))))),
  ...(squares ? [] : [q0, q1, q2, q3].flatMap((local, k) => set(local, splat64(8 * k, get(qp))))),
  ...pairPass(va, vb, ab, squares),
  ...pairPass(vc, vd, cd, squares),
  ...set(qp, add(get(qp), i32(32))),
  ...set(i, add(get(i), i32(16))),
  ...[...get(i), ...get(dimsBytes), 0x49, 0x0d, 0], // i32.lt_u, br_if $dimensions
  0x0b, // end $dimensions
  ...store128(0, addressOfN(3, out), get(ab)),
  ...store128(16, addressOfN(3, out), get(cd)),
  ...set(n, add(get(n), i32(4))),
  ...[0x0c, 0], // br $candidates
  ...[0x0b, 0x0b, 0x0b], // end $candidates, end $done, end of the function
];

const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];
const name = (text: string) => [...leb(text.length), ...Array.from(text, (char) => char.charCodeAt(0))];
const locals = [2, 7, 0x7f, 12, 0x7b]; // 7 i32, 12 v128
const functionBody = (squares: boolean) => {
  const code = [...locals, ...body(squares)];
  return [...leb(code.length), ...code];
};

/** The module's bytes (see the text above). */
export const simdDotsModuleBytes = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // (func (param i32 x5))
  ...section(2, [1, ...name("env"), ...name("memory"), 0x02, 0x01, ...leb(1), ...leb(65536)]),
  ...section(3, [2, 0, 0]), // two functions of that type
  ...section(7, [2, ...name("dots"), 0x00, 0, ...name("squares"), 0x00, 1]),
  ...section(10, [2, ...functionBody(false), ...functionBody(true)]),
]);

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (the caller then runs the plain loop). */
export function simdDotsModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    compiled = typeof WebAssembly === "object" && WebAssembly.validate(simdDotsModuleBytes) ? new WebAssembly.Module(simdDotsModuleBytes) : null;
  }
  return compiled;
}

/** The kernel's exports: see the text above for their contract (`squares` ignores the query's address). */
export type SimdDotsFunction = (queryAddress: number, dimsBytes: number, addressesAddress: number, count: number, outAddress: number) => void;

/** An instance of the kernel over `memory`. */
export function instantiateSimdDots(module: WebAssembly.Module, memory: WebAssembly.Memory): { dots: SimdDotsFunction; squares: SimdDotsFunction } {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { dots: instance.exports.dots as SimdDotsFunction, squares: instance.exports.squares as SimdDotsFunction };
}
