/** A typed array the `grow` of this module copies. */
export type GrowableArray = Uint8Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/**
 * A copy of `array` in a new one of the same kind with `size` elements (zeros after the copied
 * ones): how the in-memory indexes make room for more labels, terms or slots.
 *
 * @example
 *   grow(Int32Array.of(7, 9), 4); // Int32Array [7, 9, 0, 0]
 */
export function grow<T extends GrowableArray>(array: T, size: number): T {
  const grown = new (array.constructor as new (size: number) => T)(size);
  grown.set(array);
  return grown;
}
