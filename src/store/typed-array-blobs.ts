/**
 * Typed arrays as SQLite BLOBs of their bytes (little-endian, as on every platform Node runs
 * on): article vectors and staged vectors as float32, shingle signatures as uint32.
 */
export function encodeTypedArray(array: Float32Array | Uint32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

export function decodeVector(blob: Buffer): Float32Array {
  return copyBytesInto(blob, new Float32Array(blob.byteLength / 4));
}

export function decodeSignature(blob: Buffer): Uint32Array {
  return copyBytesInto(blob, new Uint32Array(blob.byteLength / 4));
}

/** A copy: better-sqlite3 may reuse the buffer, and a typed array needs 4-byte alignment. */
function copyBytesInto<T extends Float32Array | Uint32Array>(blob: Buffer, array: T): T {
  new Uint8Array(array.buffer).set(blob);
  return array;
}
