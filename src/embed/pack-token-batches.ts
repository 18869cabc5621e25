/**
 * Groups tokenised texts into padded batches of similar length, so little compute is spent on
 * padding: texts are sorted by token count (longest first), cut into batches of at most
 * `maxBatchSize` texts and `maxBatchTokens` padded tokens, and each batch is padded to its own
 * longest row. Pure; the caller puts results back in input order with `indices`.
 *
 * @example
 *   const batches = packTokenBatches([[5, 6, 7], [8]], { maxBatchSize: 32, maxBatchTokens: 4096 });
 *   batches[0].sequenceLength; // 3; row 1 is [8, pad, pad] with mask [1, 0, 0]
 */
export function packTokenBatches(tokenIds: readonly (readonly number[])[], limits: BatchLimits): PackedBatch[] {
  const order = tokenIds.map((_, index) => index).sort((a, b) => tokenIds[b]!.length - tokenIds[a]!.length || a - b);
  const batches: PackedBatch[] = [];
  let start = 0;
  while (start < order.length) {
    // Sorted longest first, so the first row of a batch sets its padded length.
    const sequenceLength = Math.max(1, tokenIds[order[start]!]!.length);
    const rowsByTokens = Math.max(1, Math.floor(limits.maxBatchTokens / sequenceLength));
    const end = Math.min(order.length, start + Math.min(limits.maxBatchSize, rowsByTokens));
    batches.push(packBatch(order.slice(start, end), tokenIds, sequenceLength));
    start = end;
  }
  return batches;
}

export interface BatchLimits {
  maxBatchSize: number;
  /** Cap on batch size x padded length, so long texts go in smaller batches. */
  maxBatchTokens: number;
}

export interface PackedBatch {
  /** Positions of this batch's rows in the caller's input. */
  indices: number[];
  batchSize: number;
  /** At least 1: an empty text becomes one fully masked position, which pools to zeros. */
  sequenceLength: number;
  /** Row-major [batchSize, sequenceLength]; padding id is `PADDING_ID`. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
}

/** `</s>`: any id works under a zero mask; this one can never be mistaken for text. */
export const PADDING_ID = 2;

function packBatch(indices: number[], tokenIds: readonly (readonly number[])[], sequenceLength: number): PackedBatch {
  const inputIds = new BigInt64Array(indices.length * sequenceLength).fill(BigInt(PADDING_ID));
  const attentionMask = new BigInt64Array(indices.length * sequenceLength);
  indices.forEach((index, row) => {
    const ids = tokenIds[index]!;
    const offset = row * sequenceLength;
    for (let position = 0; position < ids.length; position++) {
      inputIds[offset + position] = BigInt(ids[position]!);
      attentionMask[offset + position] = 1n;
    }
  });
  return { indices, batchSize: indices.length, sequenceLength, inputIds, attentionMask };
}

/**
 * Splits the texts of one embedding call into groups of at most `groupSize` texts of similar
 * length (longest first), as positions in `texts`: the passages of several articles (leads,
 * body chunks, short items) then reach each worker sorted by size, so its padded batches
 * (packTokenBatches) come out full instead of padding a short text to a long neighbour's length.
 * Characters stand in for tokens: the worker tokenises. Pure; callers put results back by position.
 *
 * @example
 *   groupBySimilarLength(["a", "a long text", "mid text"], 2); // [[1, 2], [0]]
 */
export function groupBySimilarLength(texts: readonly string[], groupSize: number): number[][] {
  const order = texts.map((_, index) => index).sort((a, b) => texts[b]!.length - texts[a]!.length || a - b);
  const groups: number[][] = [];
  for (let start = 0; start < order.length; start += groupSize) groups.push(order.slice(start, start + groupSize));
  return groups;
}
