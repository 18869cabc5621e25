import type { Article } from "../core/article.ts";
import type { LexicalProfile } from "../core/related/lexical-profile.ts";
import type { TermStatistics } from "../core/related/query-terms.ts";

/** An article as stored: the article, its dense label, hashes and change sequence number. */
export interface StoredArticle extends Article {
  /** Dense integer id used by the vector index; never leaves the store/vectors layer. */
  label: number;
  /** Hash of the normalised title and body: equal hashes mean copies of the same text. */
  textHash: string;
  /** Hash of the exact model input and model id: equal means the stored vector is current. */
  embedHash: string;
  /** Sequence number of the last change to this article. */
  seq: number;
  /** MinHash signature of the body's word shingles (core/related/shingle-signature.ts), for folding copies. */
  signature: Uint32Array;
  /** Words in title and body: how complete a copy is. */
  words: number;
}

/** What the in-memory catalog keeps of an article: its metadata, without body or vector. */
export type ArticleSummary = Pick<StoredArticle, "label" | "id" | "title" | "url" | "topics" | "publishedAt" | "publishedMs" | "textHash" | "embedHash" | "seq"> &
  Partial<Pick<StoredArticle, "signature" | "words" | "lang">>;

/** What the write path hands to the store for one article. */
export interface ArticleWrite {
  article: Article;
  textHash: string;
  embedHash: string;
  /** The vector, or null to keep the stored one (metadata-only change). */
  vector: Float32Array | null;
}

export type WriteStatus = "created" | "updated" | "unchanged";

export interface WriteOutcome {
  id: string;
  label: number;
  status: WriteStatus;
  seq: number;
}

export interface ModelPin {
  modelId: string;
  dimensions: number;
}

/** A vector of the next model, staged by `kindred reindex` while the pinned model keeps serving. */
export interface StagedVector {
  label: number;
  /** The article's `embedHash` (under the pinned model) when it was embedded: while unchanged, the staged vector is current. */
  sourceEmbedHash: string;
  /** The article's `embedHash` under the staged model, which it takes at the switch. */
  embedHash: string;
  vector: Float32Array;
}

/** What a switch attempt did: switched, or not because articles changed since they were staged, or another process switched first. */
export type ModelSwitchResult =
  | { switched: true; seq: number }
  | { switched: false; reason: "stale"; stale: number }
  | { switched: false; reason: "pin_changed"; pin: ModelPin | null };

export interface Change {
  seq: number;
  label: number;
  kind: "upsert" | "delete";
}

/**
 * The store port (GUIDE.md, "Ports"): the source of truth for articles, topics and vectors.
 * A PostgreSQL implementation is planned behind the same interface, so keep it small.
 */
export interface ArticleStore {
  /** The model whose vectors the store holds, or null while empty. */
  getModelPin(): ModelPin | null;
  setModelPin(pin: ModelPin): void;
  count(): number;
  findById(id: string): StoredArticle | null;
  findByLabel(label: number): StoredArticle | null;
  /** The stored `embedHash` of each of these ids that exists, to skip unchanged text. */
  findEmbedHashes(ids: readonly string[]): Map<string, string>;
  getVector(label: number): Float32Array | null;
  /**
   * Writes articles in one transaction; a write whose fields all match is "unchanged". With
   * `modelId` (the model the vectors and hashes are of), the write is refused with
   * `model_switched` unless that model is still the pinned one: a write embedded just before
   * `kindred reindex` switched models must be embedded again, never stored.
   */
  writeArticles(writes: readonly ArticleWrite[], modelId?: string): WriteOutcome[];
  /** Deletes by id; null when the id is unknown. */
  deleteArticle(id: string): { label: number; seq: number } | null;
  /** Deletes several by id in one transaction; returns those that existed. */
  deleteArticles(ids: readonly string[]): { id: string; label: number; seq: number }[];
  /** Every stored article in label order, without vectors. */
  listArticles(): Iterable<StoredArticle>;
  /** Every stored article's summary in label order: what start-up loads, so no body is read. */
  listSummaries(): Iterable<ArticleSummary>;
  /**
   * The lexical channel (issue 4). Each article's terms are indexed for BM25 and profiled when
   * it is written, in the same transaction. `getLexicalProfile` is the stored profile;
   * `analyzeText` profiles a text that is not stored; `getTermStatistics` gives the article
   * count and these stems' document frequencies; `searchLexical` ranks articles holding any of
   * the words by BM25 (higher is better), best first.
   */
  getLexicalProfile(label: number): LexicalProfile | null;
  analyzeText(title: string, body: string): LexicalProfile;
  getTermStatistics(stems: readonly string[]): TermStatistics;
  searchLexical(words: readonly string[], limit: number): { label: number; score: number }[];
  /** A number that changes whenever any article's text is added, replaced or removed (BM25 statistics moved). */
  lexicalVersion(): number;
  /** Every stored vector in label order. */
  listVectors(): Iterable<{ label: number; vector: Float32Array }>;
  /** The latest change per label with sequence number above `seq`. */
  listChangesSince(seq: number): Change[];
  /** The sequence number of the latest change (0 when none). */
  latestSeq(): number;
  /** Drops change-log entries up to `seq`, once a saved graph contains them. */
  pruneChangesThrough(seq: number): void;
  /** Changes after this sequence number are all still in the log. */
  oldestReplayableSeq(): number;
  /**
   * Switching models (`kindred reindex`): vectors of the next model are staged beside the live
   * ones; `listUnstaged` names the articles whose staged vector is missing or older than their
   * text, and staged labels whose article is gone; `listStagedVectors` gives the current ones;
   * `switchModel` re-checks everything under the write lock and, if all is staged, moves the
   * staged vectors in and pins the new model in one transaction.
   */
  stageVectors(modelId: string, vectors: readonly StagedVector[]): void;
  listUnstaged(modelId: string): { unstaged: number[]; orphaned: number[] };
  listStagedVectors(modelId: string): Iterable<{ label: number; vector: Float32Array }>;
  /** Drops staged vectors: of `modelId` (only `labels` if given), or with `{ exceptModelId }` of every other model. */
  discardStagedVectors(target: string | { exceptModelId: string }, labels?: readonly number[]): number;
  switchModel(from: string, to: ModelPin): ModelSwitchResult;
  /**
   * Runs `read` against one snapshot of the store: every read inside sees the same committed
   * state, whatever other processes write meanwhile (loading the indexes reads the catalog, the
   * change log and vectors, which must agree). `read` must not write.
   */
  readSnapshot<T>(read: () => T): T;
  close(): void;
}
