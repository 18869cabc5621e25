import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * Byte layout of the header hnswlib's `saveIndex` writes (hnswalg.h, on 64-bit little-endian):
 * offsetLevel0, maxElements, curElementCount, sizeDataPerElement, labelOffset, offsetData
 * (size_t each), maxLevel (int), enterpointNode (uint), maxM, maxM0, M (size_t), mult
 * (double), efConstruction (size_t); then curElementCount level-0 records of
 * sizeDataPerElement bytes: links, the vector (float32 x dimensions), the label (size_t).
 */
const headerBytes = 96;
const labelBytes = 8;
/** Elements read per chunk: bounds the temporary buffer to a few MB whatever the graph size. */
const elementsPerChunk = 2048;

/**
 * Reads every live vector and its label out of a saved hnswlib graph file, packed: row i of
 * `vectors` belongs to `labels[i]`. On start the graph file is read anyway; taking the exact
 * index's vectors from it too (one sequential read) is several times cheaper than a scan of
 * the store's article rows, whose vectors sit in overflow pages behind the bodies. Throws if
 * the header does not describe `dimensions`-dimensional float vectors (a different layout or a
 * different file), so the caller can fall back to the store. `allocate` gives the array the
 * vectors are read into (the exact index's own storage, so they are not copied again).
 */
export function readGraphVectors(
  path: string,
  dimensions: number,
  deletedLabels: ReadonlySet<number>,
  allocate: (floats: number) => Float32Array = (floats) => new Float32Array(floats),
): { labels: number[]; vectors: Float32Array } {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(headerBytes);
    if (readSync(fd, header, 0, headerBytes, 0) !== headerBytes) throw new Error("graph file shorter than its header");
    const count = Number(header.readBigUInt64LE(16));
    const recordBytes = Number(header.readBigUInt64LE(24));
    const labelOffset = Number(header.readBigUInt64LE(32));
    const dataOffset = Number(header.readBigUInt64LE(40));
    const vectorBytes = dimensions * 4;
    if (labelOffset !== dataOffset + vectorBytes || recordBytes !== labelOffset + labelBytes || dataOffset % 4 !== 0) {
      throw new Error(`graph file layout does not hold ${dimensions}-dimensional float vectors`);
    }
    if (fstatSync(fd).size < headerBytes + count * recordBytes) throw new Error("graph file shorter than its element records");

    const labels: number[] = [];
    const vectors = allocate(Math.max(0, count - deletedLabels.size) * dimensions);
    const chunk = Buffer.alloc(Math.min(count, elementsPerChunk) * recordBytes);
    let row = 0;
    for (let first = 0; first < count; first += elementsPerChunk) {
      const elements = Math.min(elementsPerChunk, count - first);
      const bytes = elements * recordBytes;
      if (readSync(fd, chunk, 0, bytes, headerBytes + first * recordBytes) !== bytes) throw new Error("graph file ended early");
      for (let element = 0; element < elements; element++) {
        const record = element * recordBytes;
        const label = Number(chunk.readBigUInt64LE(record + labelOffset));
        if (deletedLabels.has(label)) continue;
        if (row * dimensions >= vectors.length) throw new Error("graph file holds more live vectors than its manifest says");
        // The chunk's records are not 4-byte aligned for a Float32Array view in general: copy bytes.
        new Uint8Array(vectors.buffer, vectors.byteOffset + row * vectorBytes, vectorBytes).set(
          chunk.subarray(record + dataOffset, record + dataOffset + vectorBytes),
        );
        labels.push(label);
        row++;
      }
    }
    return { labels, vectors: row * dimensions === vectors.length ? vectors : vectors.subarray(0, row * dimensions) };
  } finally {
    closeSync(fd);
  }
}
